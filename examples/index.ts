/**
 * The bundled examples: what `npm start` serves when no `WAOOAW_APP` is set. A user's own app
 * module exports the same shape (`workflows`, and optionally `consumers`).
 */
import type { AnyWorkflow, HandlerSubscription } from '../src/index.js';
import { dataPipeline } from './data-pipeline.js';
import { multiAgent } from './multi-agent.js';
import { runReporter } from './result-consumer.js';
import { trialProvisioning } from './trial-provisioning.js';
import { ciOnPush } from './webhook-triggered.js';

export const workflows: AnyWorkflow[] = [trialProvisioning, dataPipeline, multiAgent, ciOnPush];
export const consumers: HandlerSubscription[] = [runReporter];
