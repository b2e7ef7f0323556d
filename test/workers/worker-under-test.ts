/**
 * The Worker the Workers tests run: the production entry's handlers (`functions/worker/*`) over the
 * test workflows instead of the bundled examples, exactly as a user points the Worker at their module.
 */
import { createWorker } from '../../functions/worker/handlers.js';
import { workflows } from './fixtures/workflows.js';

export default createWorker({ workflows });
