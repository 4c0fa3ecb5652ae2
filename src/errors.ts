/**
 * Errors that stop a command before or outside the work on single images.
 * A failing image is a result, not an exception: see `ImageResult`.
 */
export class DrydockError extends Error {
  /** What the user can do about it, in one sentence. */
  readonly fix: string | undefined;

  constructor(message: string, options: { fix?: string; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = new.target.name;
    this.fix = options.fix;
  }
}

/** A usage or configuration error: the CLI exits with status 2. */
export class ConfigError extends DrydockError {}

/** A Docker engine, registry or git remote that did not answer or failed. */
export class ExternalHostError extends DrydockError {
  readonly host: string;

  constructor(host: string, message: string, options: { fix?: string; cause?: unknown } = {}) {
    super(message, options);
    this.host = host;
  }
}

/** Thrown when a signal or a timeout aborts work in flight. */
export class AbortedError extends DrydockError {}

/** Formats an error for a person: the message, then the fix on its own line. */
export function describeError(error: unknown): string {
  if (error instanceof DrydockError) {
    return error.fix ? `${error.message}\n  fix: ${error.fix}` : error.message;
  }
  return error instanceof Error ? error.message : String(error);
}
