import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * Paths whose values never reach a log line: secrets in config, credentials in bodies, tokens in headers.
 * pino replaces them with "[redacted]" before serialising.
 */
export const REDACTED_PATHS = [
  'password', '*.password', 'secret', '*.secret', 'client_secret', '*.client_secret', 'token', '*.token',
  'req.headers.authorization', 'req.headers.cookie', 'headers.authorization', 'headers.cookie',
  'res.headers["set-cookie"]', '*.url_with_password',
];

/** Builds the process logger: JSON lines to stdout (or to `destination` in tests). */
export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  const options = { level, base: { service: 'gatehouse' }, redact: { paths: REDACTED_PATHS, censor: '[redacted]' } };
  return destination ? pino(options, destination as unknown as pino.DestinationStream) : pino(options);
}

/** A logger that drops everything, for tests and for commands that print their own output. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
