import { MemoryStore } from '../../src/store/memory/index.js';
import type { Store } from '../../src/store/types.js';

export interface BackendOptions {
  shards?: number;
  eventLogCap?: number;
}

export interface Backend {
  name: string;
  make(options?: BackendOptions): Promise<{ store: Store; cleanup(): Promise<void> }>;
}

/** Every Store backend the contract suite runs against; more are appended by their adapters. */
export const backends: Backend[] = [
  {
    name: 'memory',
    async make(options = {}) {
      const store = new MemoryStore(options.eventLogCap ? { eventLogCap: options.eventLogCap } : {});
      return { store, cleanup: () => store.close() };
    },
  },
];
