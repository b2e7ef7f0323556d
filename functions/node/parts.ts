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
  watchConnection,
} from '../../src/index.js';
import type { Logger } from '../../src/observability/index.js';
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
 * Redis when `REDIS_URL` is set (an outage is logged once, and its end), the embedded in-memory
 * default otherwise. `onDropped` hears about invocations the dispatcher gave up on (redelivery cap
 * reached), for the DLQ.
 */
export function createNodeParts(
  config: NodeConfig,
  logger: Logger,
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
  const storeClient = connect(config.REDIS_URL, 'store', logger);
  // The dispatcher blocks on its own connections; keep it apart from the store's.
  const transportClient = connect(config.REDIS_URL, 'transport', logger);
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

/**
 * A client named `waooaw:<role>:<pid>` (so `CLIENT LIST` tells this process's connections apart)
 * whose outages are logged once each, not as one stack trace per reconnection attempt.
 */
function connect(url: string, role: string, logger: Logger): Redis {
  const client = new Redis(url, { maxRetriesPerRequest: 3, connectionName: `waooaw:${role}:${process.pid}` });
  watchConnection(client, {
    lost: (error) =>
      logger.warn('redis connection lost, reconnecting', {
        connection: role,
        ...(error ? { error: error.message } : {}),
      }),
    restored: () => logger.info('redis connection restored', { connection: role }),
  });
  return client;
}
