let sequence = 0;

/**
 * A token for one store call that changes state (lease, completion, failure, run creation). A
 * client that sends the call again after a dropped connection sends the same token, and the store
 * answers with the first call's effects instead of refusing a duplicate. Unique across processes
 * (the worker id) and within one (a counter).
 */
export function callToken(workerId: string): string {
  sequence += 1;
  return `${workerId}.${sequence.toString(36)}`;
}
