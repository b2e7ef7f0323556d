/** Appends to an in-memory list the examples keep for tests and demos, dropping the oldest past `limit`. */
export function pushBounded<T>(list: T[], item: T, limit = 1_000): void {
  list.push(item);
  if (list.length > limit) list.splice(0, list.length - limit);
}
