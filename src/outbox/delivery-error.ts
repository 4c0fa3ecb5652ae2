import { DiscordAPIError, HTTPError, RateLimitError } from 'discord.js';

/** Discord's error code for starting a thread on a message that already has one. */
export const THREAD_ALREADY_CREATED = 160004;

/** What the outbox does after a failed attempt. */
export type DeliveryVerdict =
  | { kind: 'retry'; reason: string }
  | { kind: 'rate-limited'; retryAfterMs: number; global: boolean; reason: string }
  | { kind: 'permanent'; reason: string };

/**
 * Sorts a failed REST call: a 429 waits for its retry-after, a 5xx or a
 * network error is retried with backoff, and any other 4xx is permanent
 * because sending the same request again gets the same answer.
 */
export function classifyDeliveryError(error: unknown): DeliveryVerdict {
  if (error instanceof RateLimitError) {
    return {
      kind: 'rate-limited',
      retryAfterMs: Math.max(error.retryAfter, error.sublimitTimeout, 0),
      global: error.global,
      reason: `rate limited on ${error.method.toUpperCase()} ${error.route} for ${error.retryAfter} ms`,
    };
  }
  if (error instanceof HTTPError) {
    return { kind: 'retry', reason: `Discord returned ${error.status} for ${error.method.toUpperCase()} ${pathOf(error.url)}` };
  }
  if (error instanceof DiscordAPIError) {
    const reason = `Discord rejected ${error.method.toUpperCase()} ${pathOf(error.url)} with ${error.status} (code ${error.code}): ${error.message}`;
    if (error.status === 429) return { kind: 'rate-limited', retryAfterMs: 1_000, global: false, reason };
    if (error.status >= 500) return { kind: 'retry', reason };
    return { kind: 'permanent', reason };
  }
  const message = error instanceof Error ? error.message : String(error);
  return { kind: 'retry', reason: `network error: ${message}` };
}

export function isThreadAlreadyCreated(error: unknown): boolean {
  return error instanceof DiscordAPIError && error.code === THREAD_ALREADY_CREATED;
}

function pathOf(url: string): string {
  try {
    return new URL(url).pathname;
  } catch {
    return url;
  }
}
