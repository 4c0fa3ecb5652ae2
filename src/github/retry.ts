import { ExternalHostError } from '../errors.js';
import type { Logger } from '../logger.js';

/** Attempts after the first for one GitHub request. */
export const GITHUB_RETRIES = 4;
/** The first wait between attempts; each later wait doubles. */
export const GITHUB_RETRY_BASE_DELAY_MS = 1_000;
/** The longest wait, also when a `retry-after` header requests more. */
export const GITHUB_MAX_RETRY_DELAY_MS = 60_000;

export interface RetryPolicy {
  retries: number;
  baseDelayMs: number;
  sleep: (milliseconds: number) => Promise<void>;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  retries: GITHUB_RETRIES,
  baseDelayMs: GITHUB_RETRY_BASE_DELAY_MS,
  sleep: (milliseconds) => new Promise((resolve) => setTimeout(resolve, milliseconds).unref()),
};

/** GitHub sent no response, or kept responding with 5xx or 429, through every retry. */
export class GitHubUnavailableError extends ExternalHostError {
  readonly status: number | undefined;

  constructor(host: string, action: string, status: number | undefined, cause: unknown) {
    const reason = status === undefined ? `no response (${(cause as Error)?.message ?? String(cause)})` : `HTTP ${status}`;
    super(host, `GitHub at ${host} failed to ${action}: ${reason}`, {
      fix: 'check GITHUB_API_URL and GitHub\'s status; nothing was lost, and the next run or drydock triage --file-issue tries again',
      cause,
    });
    this.status = status;
  }
}

/** Returns the HTTP status of an Octokit error, or undefined when no response arrived. */
export function statusOf(error: unknown): number | undefined {
  const status = (error as { status?: unknown }).status;
  return typeof status === 'number' && status > 0 ? status : undefined;
}

/** True for errors worth another attempt: no response, 5xx, 429, or a 403 that reports a rate limit. */
export function isRetryable(error: unknown): boolean {
  const status = statusOf(error);
  if (status === undefined) return (error as { name?: string }).name !== 'ZodError';
  if (status >= 500 || status === 429) return true;
  const headers = (error as { response?: { headers?: Record<string, string | undefined> } }).response?.headers ?? {};
  return status === 403 && (headers['x-ratelimit-remaining'] === '0' || headers['retry-after'] !== undefined);
}

/** Returns how long to wait before attempt `attempt + 1`: the `retry-after` header when sent, else exponential backoff. */
export function retryDelayMs(error: unknown, attempt: number, policy: RetryPolicy): number {
  const headers = (error as { response?: { headers?: Record<string, string | undefined> } }).response?.headers ?? {};
  const retryAfterSeconds = Number(headers['retry-after']);
  const delay = Number.isFinite(retryAfterSeconds) && retryAfterSeconds >= 0 ? retryAfterSeconds * 1000 : policy.baseDelayMs * 2 ** attempt;
  return Math.min(delay, GITHUB_MAX_RETRY_DELAY_MS);
}

/**
 * Runs one idempotent GitHub request, retrying on `isRetryable` errors with
 * backoff. Other errors (401, 404, 422) are thrown at once. After the last
 * attempt it throws `GitHubUnavailableError`, which blames GitHub, not the image.
 */
export async function withGitHubRetry<T>(
  action: string,
  operation: () => Promise<T>,
  context: { host: string; policy: RetryPolicy; logger: Logger },
): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await operation();
    } catch (error) {
      if (!isRetryable(error)) throw error;
      if (attempt >= context.policy.retries) throw new GitHubUnavailableError(context.host, action, statusOf(error), error);

      const delayMs = retryDelayMs(error, attempt, context.policy);
      context.logger.warn({ github: context.host, action, status: statusOf(error), attempt: attempt + 1, delayMs }, 'GitHub request failed, retrying');
      await context.policy.sleep(delayMs);
    }
  }
}
