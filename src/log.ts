import { pino, type Logger } from 'pino';
import { secretFields } from './config/schema.js';

export type { Logger };

/** The root logger. Secret fields are redacted wherever they appear in a logged object. */
export function createLogger(options: { level?: string; destination?: NodeJS.WritableStream } = {}): Logger {
  const redact = secretFields.flatMap((f) => [f, `*.${f}`, `*.*.${f}`, `*.*.*.${f}`]);
  return pino(
    { level: options.level ?? process.env.LOG_LEVEL ?? 'info', redact: { paths: redact, censor: '[redacted]' } },
    options.destination ?? process.stdout,
  );
}

/** A logger for tests and benchmarks that writes nothing. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
