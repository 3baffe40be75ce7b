import { pino, type Logger } from 'pino';

/** The logger @rims/merger writes to: any pino logger. */
export type MergerLogger = Logger;

/** A logger that writes nothing: the default of the library API (the binary logs JSON to stderr). */
export function silentLogger(): MergerLogger {
  return pino({ level: 'silent' });
}
