/**
 * Group commit: calls made while a flush is in flight are queued and sent together in the next
 * flush. Under load many callers share one round trip; when idle a call goes out at once, so
 * batching adds no latency.
 *
 * @example
 * const append = new GroupCommit<Event, Logged>((batch) => store.appendEvents(batch));
 * const [logged] = await append.submit([event]);
 */
export class GroupCommit<T, R> {
  private queue: { items: T[]; resolve: (r: R[]) => void; reject: (e: unknown) => void }[] = [];
  private flushing = false;

  /** @param flush sends a batch and returns one result per item, in order. */
  constructor(private readonly flush: (items: T[]) => Promise<R[]>) {}

  submit(items: T[]): Promise<R[]> {
    return new Promise((resolve, reject) => {
      this.queue.push({ items, resolve, reject });
      if (!this.flushing) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.flushing = true;
    while (this.queue.length > 0) {
      const callers = this.queue;
      this.queue = [];
      const all = callers.flatMap((c) => c.items);
      try {
        const results = await this.flush(all);
        let offset = 0;
        for (const c of callers) {
          c.resolve(results.slice(offset, offset + c.items.length));
          offset += c.items.length;
        }
      } catch (error) {
        for (const c of callers) c.reject(error);
      }
    }
    this.flushing = false;
  }
}
