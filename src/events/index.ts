/**
 * The events part: the CloudEvents 1.0 envelope and its HTTP readers, subscription patterns and the
 * schema registry. Pure code, no I/O.
 */

// Envelope, builder and HTTP readers

export { isJsonMediaType, isRfc3339, isTraceparent, isUriReference } from './attribute-formats.js';
export { parseBatch } from './batch.js';
export { type HeaderInput, hasBinaryHeaders, normalizeHeaders, parseBinary } from './binary-mode.js';
export {
  type CreateEventInput,
  type CreateEventOptions,
  createEvent,
  InvalidEventError,
} from './create-event.js';
export {
  type CloudEvent,
  cloudEventSchema,
  DEFAULT_DATA_CONTENT_TYPE,
  type EnvelopeResult,
  parseStructured,
  validateEnvelope,
} from './envelope.js';
export { BATCH_CONTENT_TYPE, parseHttpEvents, STRUCTURED_CONTENT_TYPE } from './http-events.js';
export type { Issue, ParseResult } from './issues.js';

// Subscription patterns

export {
  compilePattern,
  InvalidPatternError,
  isValidPattern,
  matcherFor,
  matchesPattern,
  type TopicMatcher,
  validatePattern,
} from './topic-pattern.js';

// Schema registry

export {
  type DataResult,
  type EventData,
  SchemaRegistry,
  type ValidationResult,
} from './schema-registry.js';

// Bus

export { GroupCommit } from '../store/index.js';
export {
  type DeliveryContext,
  EventBus,
  type EventBusOptions,
  EventValidationError,
  type NewSubscription,
  type PublishResult,
  type ReplayQuery,
  type ReplayResult,
  SubscriptionExistsError,
  type TargetHandler,
} from './bus.js';
export { NonRetriableDeliveryError } from './delivery.js';
export { EventBacklog, type EventBacklogOptions } from './event-backlog.js';
export { PermanentDeliveryError } from './http-target.js';
export { hmacSha256Hex, SIGNATURE_HEADER, signDelivery, timingSafeEqual, verifyDelivery } from './signing.js';
export { emptySubscriptionSnapshot, type SubscriptionSnapshot } from './subscription-cache.js';
