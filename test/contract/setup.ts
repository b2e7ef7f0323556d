import { afterEach, beforeEach } from 'vitest';
import type { Store } from '../../src/store/types.js';
import type { Backend, BackendOptions } from './backends.js';
import { observeTransitions } from './transitions-observer.js';

/** Gives each test a fresh store of the backend (own key prefix on Redis), checked against model.ts. */
export function useStore(
  backend: Backend,
  options?: BackendOptions,
): { readonly store: Store; readonly raw: Store } {
  let current: { store: Store; cleanup(): Promise<void> } | undefined;
  let observed: Store | undefined;
  beforeEach(async () => {
    current = await backend.make(options);
    observed = observeTransitions(current.store);
  });
  afterEach(async () => {
    await current?.cleanup();
    current = undefined;
  });
  return {
    get store() {
      if (!observed) throw new Error('store used outside a test');
      return observed;
    },
    get raw() {
      if (!current) throw new Error('store used outside a test');
      return current.store;
    },
  };
}
