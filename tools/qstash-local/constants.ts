/**
 * Credentials of the official QStash dev server. `@upstash/qstash` clients and receivers in dev
 * mode (`QSTASH_DEV=true`) use exactly these, and treat a server whose `GET /v2/keys` returns these
 * keys as the running dev server.
 */
export const DEV_TOKEN = 'eyJVc2VySUQiOiJkZWZhdWx0VXNlciIsIlBhc3N3b3JkIjoiZGVmYXVsdFBhc3N3b3JkIn0=';
export const DEV_CURRENT_SIGNING_KEY = 'sig_7kYjw48mhY7kAjqNGcy6cr29RJ6r';
export const DEV_NEXT_SIGNING_KEY = 'sig_5ZB6DVzB1wjE8S6rZ7eenA8Pdnhs';

/** The port dev-mode clients expect (`QSTASH_DEV_PORT` defaults to it). */
export const DEV_PORT = 8080;

/** QStash defaults. */
export const DEFAULT_RETRIES = 3;
export const DEDUP_WINDOW_MS = 10 * 60 * 1000;
/** The free plan's maximum HTTP response duration, used when a message sets no Upstash-Timeout. */
export const DEFAULT_DELIVERY_TIMEOUT_MS = 15 * 60 * 1000;
/** Retry-After values beyond a day are ignored, as QStash does. */
export const MAX_RETRY_AFTER_MS = 24 * 60 * 60 * 1000;
/** Signed deliveries are valid for 5 minutes. */
export const SIGNATURE_LIFETIME_S = 300;
