import { Redis } from 'ioredis';
import {
  type DroppedInvocation,
  fromIoredis,
  InProcessTransport,
  MemoryStore,
  type RedisClientAdapter,
  RedisStore,
  RedisTransport,
  type Store,
  type Transport,
} from '../../src/index.js';
import type { NodeConfig } from '../config.js';

export interface NodeParts {
  store: Store;
  transport: Transport;
  /** Said at start: which backend serves. */
  mode: string;
  /** Where the cluster-wide metrics live (Redis mode only). */
  metricsClient?: RedisClientAdapter;
  /** Answers whether the store is reachable (`GET /ready`). */
  ready(): Promise<boolean>;
  close(): Promise<void>;
}

/**
 * Redis when `REDIS_URL` is set, the embedded in-memory default otherwise. `onDropped` hears about
 * invocations the dispatcher gave up on (redelivery cap reached), for the DLQ.
 */
export function createNodeParts(
  config: NodeConfig,
  onDropped: (dropped: DroppedInvocation) => void,
): NodeParts {
  if (!config.REDIS_URL) {
    return {
      store: new MemoryStore(),
      transport: new InProcessTransport({ concurrency: config.WORKER_POOL_SIZE, onDropped }),
      mode: 'embedded (in-memory store and queue; set REDIS_URL to use Redis)',
      ready: async () => true,
      close: async () => {},
    };
  }
  const storeClient = new Redis(config.REDIS_URL, { maxRetriesPerRequest: 3 });
  // The dispatcher blocks on its own connections; keep it apart from the store's.
  const transportClient = new Redis(config.REDIS_URL, { maxRetriesPerRequest: 3 });
  const url = new URL(config.REDIS_URL);
  return {
    store: new RedisStore(fromIoredis(storeClient), {
      prefix: config.WAOOAW_PREFIX,
      shards: config.WAOOAW_SHARDS,
    }),
    transport: new RedisTransport({
      redis: transportClient,
      prefix: config.WAOOAW_PREFIX,
      concurrency: config.WORKER_POOL_SIZE,
      onDropped,
    }),
    mode: `redis (${url.protocol}//${url.hostname}:${url.port || 6379})`,
    metricsClient: fromIoredis(storeClient, { closeClient: false }),
    ready: async () => (await storeClient.ping().catch(() => 'down')) === 'PONG',
    close: async () => {
      await storeClient.quit().catch(() => storeClient.disconnect());
      transportClient.disconnect();
    },
  };
}
