import type { Redis } from 'ioredis';

export interface ConnectionReport {
  /** The connection dropped or failed; ioredis is reconnecting. Called once per outage. */
  lost(error?: Error): void;
  /** Ready again after a loss. */
  restored(): void;
}

/**
 * Reports an ioredis client's outages once each. ioredis reconnects by itself and emits `error`
 * on every failed attempt; with no listener it prints each one to stderr as an "Unhandled error
 * event" (a stack trace per retry). A closing client (`quit`/`disconnect`) does not reconnect and
 * reports nothing.
 */
export function watchConnection(client: Redis, report: ConnectionReport): void {
  let down = false;
  const lose = (error?: Error) => {
    if (down) return;
    down = true;
    report.lost(error);
  };
  client.on('error', (error: Error) => lose(error));
  client.on('reconnecting', () => lose());
  client.on('ready', () => {
    if (!down) return;
    down = false;
    report.restored();
  });
}
