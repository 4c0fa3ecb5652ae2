import { pino, type Logger } from 'pino';
import { redactDeep, redactSecrets, secretValues } from './secrets.js';

export type { Logger };

/**
 * Creates the process logger. It writes JSON lines to stderr, because stdout
 * belongs to `--json` output. Every message and field goes through the same
 * redaction as log files and Discord messages: the environment's secret
 * values and well-known token shapes.
 */
export function createLogger(level = process.env.DRYDOCK_LOG_LEVEL || 'info', env: NodeJS.ProcessEnv = process.env): Logger {
  const secrets = secretValues(env);
  return pino(
    {
      level,
      base: undefined,
      redact: {
        paths: ['password', '*.password', 'token', '*.token', 'auth', '*.auth', 'authconfig', 'headers.authorization'],
        censor: '[redacted]',
      },
      serializers: { err: (error: unknown) => redactDeep(pino.stdSerializers.err(error as Error), secrets) },
      formatters: { log: (object) => redactDeep(object, secrets) as Record<string, unknown> },
      hooks: {
        logMethod(args, method) {
          method.apply(this, args.map((arg) => (typeof arg === 'string' ? redactSecrets(arg, secrets) : arg)) as Parameters<typeof method>);
        },
      },
    },
    pino.destination(2),
  );
}

/** Creates a logger that drops everything, for library callers and tests. */
export function createSilentLogger(): Logger {
  return pino({ level: 'silent' });
}
