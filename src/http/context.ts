import type { Waooaw } from '../bridge/index.js';
import type { Logger } from '../observability/logger.js';

/** What a signed request looks like to the verifier (QStash's `Receiver.verify` needs exactly this). */
export interface SignedRequest {
  url: string;
  body: string;
  headers: Headers;
}

/** A source's webhook secret, or undefined when the source is not configured. */
export type WebhookSecretResolver = (source: string) => string | undefined | Promise<string | undefined>;

export interface HttpAppOptions {
  /** Bearer token of the publish and admin routes. Unset: they answer 503, unless `insecureNoAuth`. */
  token?: string;
  /** Local embedded development only: publish and admin routes without a token. */
  insecureNoAuth?: boolean;
  /** Checks the signature of `/invoke` and `/callbacks/*` requests (QStash `Receiver`, say). */
  verifyInvocation: (req: SignedRequest) => Promise<boolean>;
  /** Largest request body accepted, in bytes. Default 1 MiB. */
  bodyLimitBytes?: number;
  /** HMAC secrets of `/webhooks/:source`, by source or through a resolver. */
  webhookSecrets?: Record<string, string> | WebhookSecretResolver;
  /** How far a `t=` webhook signature may be from now, in seconds. Default 300. */
  webhookToleranceSec?: number;
  /** Prometheus text exposition for `/metrics` (404 when absent). */
  metrics?: () => Promise<string>;
  /** Whether the store is reachable, for `/ready` (always ready when absent). */
  ready?: () => Promise<boolean>;
  logger?: Logger;
  /** Epoch ms; tests pass a fake one. */
  clock?: () => number;
}

/** Options with their defaults filled, shared by every route group. */
export interface HttpDeps {
  app: Waooaw;
  options: HttpAppOptions;
  bodyLimitBytes: number;
  logger: Logger;
  clock: () => number;
}

/** Context variables set by the middleware. */
export interface HttpEnv {
  Variables: {
    /** The body as read (and verified) by the signature middleware. */
    rawBody: string;
  };
}
