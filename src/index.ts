/**
 * waooaw: an event bus and a workflow orchestrator joined into one system that runs as stateless
 * HTTP functions. Each part has its own entry (`waooaw/events`, `waooaw/orchestration`...); this
 * one re-exports what an app needs.
 */
export * from './bridge/index.js';
export * from './events/index.js';
export { jsonLogger, type Logger, silentLogger } from './observability/logger.js';
export type { Metrics } from './observability/metrics.js';
export * from './orchestration/index.js';
export * from './store/index.js';
export * from './transport/index.js';
