/**
 * Tells this process's tokens apart from those of another process with the same worker id, or of
 * its own earlier run. Made on first use: workerd forbids random values at module load.
 */
let processPart: string | undefined;
let sequence = 0;

/**
 * A token for one call that changes state (a store's lease, completion, failure, run creation,
 * cancellation, sweep; a transport's claim). A client that sends the call again after a dropped connection sends the
 * same token, and the store answers with the first call's effects instead of refusing a duplicate.
 * Unique across processes (the owner, say a worker id, and a random part: replicas may share a worker id, and a
 * restarted process starts counting again) and within one (a counter).
 */
export function callToken(owner: string): string {
  processPart ??= crypto.randomUUID().slice(0, 8);
  sequence += 1;
  return `${owner}.${processPart}.${sequence.toString(36)}`;
}
