export { type Clock, realClock } from './clock.js';
export {
  InProcessTransport,
  type InProcessTransportOptions,
  type InProcessTransportStats,
} from './in-process-transport.js';
