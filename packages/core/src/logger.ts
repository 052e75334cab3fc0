/** The logger hook: anything with these four methods (pino, console wrappers, …). */
export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

const noop = (): void => {};

/** Drops everything; the default in tests. */
export const silentLogger: Logger = Object.freeze({
  debug: noop,
  info: noop,
  warn: noop,
  error: noop,
});

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

const RANK: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3, silent: 4 };

/**
 * Writes one line per record to stderr at or above `level`. The edge default is
 * 'warn', so handler crashes (INTERNAL) are visible server-side even though
 * clients only ever see "internal error".
 */
export function consoleLogger(level: LogLevel = 'warn'): Logger {
  const min = RANK[level];
  const at =
    (lvl: Exclude<LogLevel, 'silent'>) =>
    (message: string, fields?: Record<string, unknown>): void => {
      if (RANK[lvl] < min) return;
      console.error(`[switchyard] ${lvl} ${message}`, fields ?? '');
    };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}
