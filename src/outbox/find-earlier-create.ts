import type { MessageBody, OutboxItem, OutboxTransport, PostedMessage } from './types.js';

/**
 * How long Discord is trusted to return the first message for a repeated
 * nonce with `enforce_nonce`. Discord documents the window only as "the
 * past few minutes" (API v10, Create Message), so this is an estimate on
 * the safe side: a create older than this is looked for before it is sent
 * again.
 */
export const NONCE_WINDOW_MS = 2 * 60_000;
/** The search starts this long before the item was added, in case drydock's clock runs ahead of Discord's. */
const CLOCK_SKEW_MS = 5 * 60_000;
/** Discord returns at most 100 messages a page. */
const PAGE_SIZE = 100;
/** Pages read before giving up and sending again; a channel rarely gets 1000 messages within one outage. */
const MAX_PAGES = 10;
const DISCORD_EPOCH_MS = 1_420_070_400_000n;

export type EarlierCreate =
  | { kind: 'found'; messageId: string; matchedBy: 'nonce' | 'content' }
  | { kind: 'absent' }
  | { kind: 'gave-up'; pagesRead: number };

/**
 * Looks in the channel for the message an earlier attempt of a create
 * posted, when its response was lost. A message matches when it carries
 * the item's nonce, or when the bot wrote it after the item was added and
 * its content and embed texts equal the item's, and no other outbox item
 * claimed it (`isClaimed`). Discord does not return nonces when listing
 * messages, as far as its documentation shows, so the content match is
 * the one that normally applies.
 */
export async function findEarlierCreate(
  transport: OutboxTransport,
  item: OutboxItem,
  channelId: string,
  payload: MessageBody,
  isClaimed: (messageId: string) => boolean,
): Promise<EarlierCreate> {
  const botUserId = await transport.currentUserId();
  const expected = fingerprintBody(payload);
  let after = snowflakeAt(item.createdAt - CLOCK_SKEW_MS);

  for (let page = 0; page < MAX_PAGES; page++) {
    const messages = await transport.listMessagesAfter(channelId, after, PAGE_SIZE);
    for (const message of messages) {
      if (isClaimed(message.id)) continue;
      if (message.nonce !== undefined && message.nonce !== null && String(message.nonce) === item.nonce) return { kind: 'found', messageId: message.id, matchedBy: 'nonce' };
      if (message.authorId === botUserId && fingerprintBody(message) === expected) return { kind: 'found', messageId: message.id, matchedBy: 'content' };
    }
    if (messages.length < PAGE_SIZE) return { kind: 'absent' };
    // Discord may list a page newest first, so the next page starts after the newest id of this one.
    after = messages.map((message) => BigInt(message.id)).reduce((max, id) => (id > max ? id : max), BigInt(after)).toString();
  }
  return { kind: 'gave-up', pagesRead: MAX_PAGES };
}

/** Joins the texts that identify a message: its content and each embed's title, description and footer. */
function fingerprintBody(body: Pick<PostedMessage, 'content' | 'embeds'> | MessageBody): string {
  const content = typeof body.content === 'string' ? body.content : '';
  const embeds = Array.isArray(body.embeds) ? (body.embeds as { title?: unknown; description?: unknown; footer?: { text?: unknown } }[]) : [];
  return JSON.stringify([content, embeds.map((embed) => [embed.title ?? '', embed.description ?? '', embed.footer?.text ?? ''])]);
}

/** Returns the smallest snowflake Discord could give a message at `ms`, in Unix milliseconds. */
function snowflakeAt(ms: number): string {
  const since = BigInt(Math.max(Math.floor(ms), 0)) - DISCORD_EPOCH_MS;
  return (since > 0n ? since << 22n : 0n).toString();
}
