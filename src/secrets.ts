const REDACTED = '[redacted]';
/** Secrets shorter than this are not redacted, because they would match ordinary words. */
const MIN_SECRET_LENGTH = 4;

/**
 * Shapes of well-known credentials, redacted even when their value is not in
 * the environment: a token that a build prints or a test script echoes.
 * A capture group, where present, is kept and only the rest is replaced.
 * Each pattern runs only on lines that contain its cheap `hint`, because
 * build logs have millions of lines and most contain no credential at all.
 */
const TOKEN_PATTERNS: readonly { hint: (line: string) => boolean; pattern: RegExp }[] = [
  {
    // GitHub personal, OAuth, app and refresh tokens, classic and fine-grained.
    hint: (line) => line.includes('gh') || line.includes('github_pat_'),
    pattern: /\b(?:gh[pousr]_[A-Za-z0-9]{20,255}|github_pat_[A-Za-z0-9_]{20,255})\b/g,
  },
  {
    // Discord bot tokens: three base64url parts separated by dots.
    hint: (line) => /\.[A-Za-z0-9_-]{6,7}\./.test(line),
    pattern: /\b[A-Za-z0-9_-]{23,28}\.[A-Za-z0-9_-]{6,7}\.[A-Za-z0-9_-]{27,40}\b/g,
  },
  { hint: (line) => line.includes('eyJ'), pattern: /\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\b/g },
  // AWS access key ids and Slack tokens.
  { hint: (line) => line.includes('AKIA'), pattern: /\bAKIA[0-9A-Z]{16}\b/g },
  { hint: (line) => line.includes('xox'), pattern: /\bxox[abposr]-[A-Za-z0-9-]{10,}\b/g },
  {
    // The credential after an Authorization header's scheme.
    hint: (line) => /uthorization/i.test(line),
    pattern: /(\bauthorization["']?\s*[:=]\s*["']?(?:bearer|basic|token)\s+)[^\s"']+/gi,
  },
  {
    // The password in a URL such as https://user:password@host/.
    hint: (line) => line.includes('://') && line.includes('@'),
    pattern: /(\b[a-z][a-z0-9+.-]*:\/\/[^\s/:@]+:)[^\s/@]+(?=@)/gi,
  },
];

/**
 * Replaces every occurrence of each secret value in `text`, then every
 * substring shaped like a well-known credential.
 */
export function redactSecrets(text: string, secrets: readonly string[]): string {
  let result = text;
  for (const secret of secrets) {
    if (secret.length < MIN_SECRET_LENGTH || !result.includes(secret)) continue;
    result = result.split(secret).join(REDACTED);
  }
  for (const { hint, pattern } of TOKEN_PATTERNS) {
    if (!hint(result)) continue;
    result = result.replace(pattern, (match: string, kept: unknown) => (typeof kept === 'string' ? `${kept}${REDACTED}` : REDACTED));
  }
  return result;
}

/** Environment variables whose values are secrets: tokens, passwords, keys and credentials. */
const SECRET_NAME = /(TOKEN|PASSWORD|PASSWD|SECRET|_KEY|CREDENTIALS?)$/;

/** The secret values of the environment that must never reach a log or a message. */
export function secretValues(env: NodeJS.ProcessEnv = process.env): string[] {
  const names = Object.keys(env).filter((name) => SECRET_NAME.test(name));
  return names.map((name) => env[name]).filter((value): value is string => value !== undefined && value !== '');
}

/** Redacts every string inside a JSON-like value, for structured log fields. */
export function redactDeep(value: unknown, secrets: readonly string[], depth = 0): unknown {
  if (typeof value === 'string') return redactSecrets(value, secrets);
  if (depth > 8 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((item) => redactDeep(item, secrets, depth + 1));
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, redactDeep(item, secrets, depth + 1)]));
}
