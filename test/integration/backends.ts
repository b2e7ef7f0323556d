import { Redis } from 'ioredis';
import {
  type AnyWorkflow,
  createWaooaw,
  type DroppedInvocation,
  fromIoredis,
  type HandlerSubscription,
  InProcessTransport,
  type Invocation,
  MemoryStore,
  RedisStore,
  RedisTransport,
  type Store,
  type Transport,
  type Waooaw,
  type WaooawOptions,
} from '../../src/index.js';
import { deleteKeys, REDIS_URL } from '../support/redis.js';

export interface Parts {
  store: Store;
  transport: Transport;
  close(): Promise<void>;
}

export interface Backend {
  name: string;
  /** Parts sharing one namespace: call twice with the same `ns` for two "processes" on one Redis. */
  parts(ns: string, concurrency?: number, onDropped?: (dropped: DroppedInvocation) => void): Parts;
  /** Deletes everything under the namespace. */
  cleanup(ns: string): Promise<void>;
}

const memoryStores = new Map<string, MemoryStore>();

export const embedded: Backend = {
  name: 'embedded (memory + in-process)',
  parts(ns, concurrency = 10, onDropped) {
    const store = memoryStores.get(ns) ?? new MemoryStore();
    memoryStores.set(ns, store);
    const transport = new InProcessTransport({
      concurrency,
      retryDelayMs: () => 5,
      maxRedeliveries: 3,
      ...(onDropped ? { onDropped } : {}),
    });
    return { store, transport, close: async () => {} };
  },
  async cleanup(ns) {
    memoryStores.delete(ns);
  },
};

export const redis: Backend = {
  name: 'redis (ioredis store + Redis transport)',
  parts(ns, concurrency = 10, onDropped) {
    const client = new Redis(REDIS_URL, { lazyConnect: false, maxRetriesPerRequest: 3 });
    const transportClient = new Redis(REDIS_URL, { maxRetriesPerRequest: 3 });
    const store = new RedisStore(fromIoredis(client), { prefix: ns });
    const transport = new RedisTransport({
      redis: transportClient,
      prefix: ns,
      concurrency,
      retryDelayMs: () => 5,
      maxRedeliveries: 3,
      ...(onDropped ? { onDropped } : {}),
    });
    return {
      store,
      transport,
      close: async () => {
        await store.close();
        transportClient.disconnect();
      },
    };
  },
  async cleanup(ns) {
    const client = new Redis(REDIS_URL);
    await deleteKeys(client, ns);
    client.disconnect();
  },
};

export const BACKENDS: Backend[] = [embedded, redis];

export interface AppHandle {
  app: Waooaw;
  parts: Parts;
  stop(): Promise<void>;
}

/**
 * Starts an app on `backend` in namespace `ns` with fast timings for tests. `wrap` may put a store
 * or a transport of its own (a fault injector, say) in front of the backend's.
 */
export async function startApp(
  backend: Backend,
  ns: string,
  workflows: AnyWorkflow[],
  consumers: HandlerSubscription[] = [],
  extra: Partial<WaooawOptions> = {},
  wrap: (parts: Parts) => Partial<Pick<WaooawOptions, 'store' | 'transport'>> = () => ({}),
): Promise<AppHandle> {
  // Invocations the transport gives up on go to the DLQ, as the runtime entries wire it.
  let app: Waooaw | undefined;
  const parts = backend.parts(ns, extra.slots ?? 10, (dropped) => {
    void app?.deadLetter(dropped.invocation as Invocation, dropped.error, dropped.deliveries);
  });
  app = createWaooaw({
    store: parts.store,
    transport: parts.transport,
    workflows,
    consumers,
    bus: { subscriptionCacheMs: 0, retry: { baseDelayMs: 5, maxDelayMs: 20 } },
    ...wrap(parts),
    ...extra,
  });
  await app.start();
  return {
    app,
    parts,
    stop: async () => {
      await app.stop();
      await parts.close();
    },
  };
}
