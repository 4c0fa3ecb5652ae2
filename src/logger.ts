import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * Creates the process logger. It writes JSON lines to stderr, because stdout
 * belongs to `--json` output. Secrets are redacted by path here; log files of
 * builds go through `redactSecrets` instead.
 */
export function createLogger(level = process.env.DRYDOCK_LOG_LEVEL ?? 'info'): Logger {
  return pino(
    {
      level,
      base: undefined,
      redact: {
        paths: ['password', '*.password', 'token', '*.token', 'auth.password', 'authconfig'],
        censor: '[redacted]',
      },
    },
    pino.destination(2),
  );
}

/** A logger that drops everything, for library callers and tests. */
export function createSilentLogger(): Logger {
  return pino({ level: 'silent' });
}
