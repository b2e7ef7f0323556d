/** Structured logging: one JSON object per line, so any log pipeline can index the fields. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
  /** A logger that adds `fields` to every line. */
  child(fields: Record<string, unknown>): Logger;
}

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface JsonLoggerOptions {
  level?: LogLevel;
  /** Where lines go; default `console.log` (stdout on Node, the Workers log on the edge). */
  write?: (line: string) => void;
  clock?: () => number;
}

/**
 * A logger writing JSON lines at or above `level`.
 *
 * @example
 * const log = jsonLogger({ level: 'info' }).child({ runId });
 * log.info('task started', { task: 'charge' });
 */
export function jsonLogger(
  { level = 'info', write = (line) => console.log(line), clock = Date.now }: JsonLoggerOptions = {},
  base: Record<string, unknown> = {},
): Logger {
  const emit = (lvl: LogLevel, message: string, fields?: Record<string, unknown>): void => {
    if (RANK[lvl] < RANK[level]) return;
    write(
      JSON.stringify({ time: new Date(clock()).toISOString(), level: lvl, msg: message, ...base, ...fields }),
    );
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    child: (fields) => jsonLogger({ level, write, clock }, { ...base, ...fields }),
  };
}

/** A logger that drops everything (tests, benchmarks). */
export const silentLogger: Logger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
  child: () => silentLogger,
};
