import { Client } from '@upstash/qstash';
import type { Envelope, InvokeHandler, Transport } from '../types.js';
import { type MessageSettings, toPublishRequest } from './message.js';

export interface QStashTransportOptions {
  /** A QStash client, or where to find QStash (`QSTASH_URL`, `QSTASH_TOKEN`). */
  qstash: Client | { baseUrl: string; token: string };
  /** The app's public base URL; QStash delivers to `${publicUrl}/invoke`. */
  publicUrl: string;
  /** QStash redeliveries of a message whose invocation crashed (non-2xx, timeout). Default 3. */
  retries?: number;
  /** QStash retry-delay expression in ms (e.g. `'1000 * pow(2, retried)'`); QStash's own backoff when unset. */
  retryDelay?: string;
  /** Per-attempt HTTP timeout (`'30s'` or seconds); the plan's maximum when unset. */
  timeout?: string | number;
  /** Messages per `/v2/batch` request. Default 100. */
  batchSize?: number;
}

/**
 * The edge transport: each envelope is a QStash message to the app's `POST /invoke`, signed by
 * QStash and retried by it when the invocation crashes; once QStash gives up it calls
 * `POST /callbacks/failure`, which records a DLQ entry. Push-based: `start` and `stop` do nothing,
 * deliveries arrive over HTTP.
 *
 * The orchestrator's own retries (task failures with backoff) are new messages with a new attempt
 * number; QStash's retries only cover an invocation that never answered.
 *
 * @example
 * const transport = new QStashTransport({
 *   qstash: { baseUrl: env.QSTASH_URL, token: env.QSTASH_TOKEN },
 *   publicUrl: 'https://waooaw.example.workers.dev',
 * });
 * await transport.enqueue([{ invocation, options: { dedupId: 'run:task:execute:1' } }]);
 */
export class QStashTransport implements Transport {
  readonly name = 'qstash';
  private readonly client: Client;
  private readonly settings: MessageSettings;
  private readonly batchSize: number;

  constructor({
    qstash,
    publicUrl,
    retries = 3,
    retryDelay,
    timeout,
    batchSize = 100,
  }: QStashTransportOptions) {
    this.client =
      qstash instanceof Client
        ? qstash
        : new Client({
            baseUrl: qstash.baseUrl,
            token: qstash.token,
            devMode: false,
            enableTelemetry: false,
          });
    const base = publicUrl.replace(/\/+$/, '');
    this.settings = {
      invokeUrl: `${base}/invoke`,
      failureCallbackUrl: `${base}/callbacks/failure`,
      retries,
      ...(retryDelay ? { retryDelay } : {}),
      ...(timeout !== undefined ? { timeout } : {}),
    };
    this.batchSize = Math.max(1, batchSize);
  }

  /** One publish for one envelope, one `/v2/batch` request per `batchSize` envelopes otherwise. */
  async enqueue(items: Envelope[]): Promise<void> {
    if (items.length === 0) return;
    const requests = items.map((item) => toPublishRequest(item, this.settings));
    if (requests.length === 1) {
      await this.client.publishJSON(requests[0]!);
      return;
    }
    const chunks: (typeof requests)[] = [];
    for (let i = 0; i < requests.length; i += this.batchSize)
      chunks.push(requests.slice(i, i + this.batchSize));
    await Promise.all(chunks.map((chunk) => this.client.batchJSON(chunk)));
  }

  /** Nothing to start: QStash pushes deliveries to `POST /invoke`. */
  async start(_handler: InvokeHandler): Promise<void> {}

  /** Nothing to drain: in-flight deliveries belong to their HTTP requests. */
  async stop(): Promise<void> {}
}
