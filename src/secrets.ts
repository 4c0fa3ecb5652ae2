const REDACTED = '[redacted]';
/** Secrets shorter than this are not redacted, because they would match ordinary words. */
const MIN_SECRET_LENGTH = 4;

/** Replaces every occurrence of each secret value in `text`. */
export function redactSecrets(text: string, secrets: readonly string[]): string {
  let result = text;
  for (const secret of secrets) {
    if (secret.length < MIN_SECRET_LENGTH) continue;
    result = result.split(secret).join(REDACTED);
  }
  return result;
}

/** The secret values of the environment that must never reach a log or a message. */
export function secretValues(env: NodeJS.ProcessEnv = process.env): string[] {
  const names = Object.keys(env).filter((name) => /(TOKEN|PASSWORD|SECRET)$/.test(name));
  return names.map((name) => env[name]).filter((value): value is string => value !== undefined && value !== '');
}
