export { gate, sleep, waitFor } from '../../support/wait.js';
