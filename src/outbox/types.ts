/**
 * The request one outbox item makes of Discord. Every item names a message key,
 * the outbox's stable name for the message or thread it concerns, such as
 * `summary:<job>`. Items of one key are delivered in the order they were added.
 */
export type OutboxAction = 'create' | 'edit' | 'thread';

/**
 * A message body as Discord's REST API takes it (content, embeds,
 * components, allowed_mentions, attachments). Strings may hold `{{id:KEY}}`,
 * which the outbox replaces with the id Discord gave the message or thread
 * of KEY, so an item can link to a message that is still waiting in the
 * outbox. A `files` array of `{ name, base64 }` is uploaded with the
 * request as attachments, not sent as JSON.
 */
export type MessageBody = Record<string, unknown>;

export interface OutboxItem {
  id: number;
  messageKey: string;
  action: OutboxAction;
  /** A channel id, or `{{id:KEY}}` for a thread the outbox created. */
  channelId: string;
  payload: MessageBody;
  /** Sent with every attempt of a create, so Discord drops a repeat of a create whose response was lost. */
  nonce: string;
  state: 'pending' | 'delivered' | 'failed' | 'superseded';
  attempts: number;
  /** Milliseconds since the epoch before which the item is not tried again. */
  nextAttemptAt: number;
  lastError: string | null;
  /** Milliseconds since the epoch when the item was added. */
  createdAt: number;
}

/** A message as Discord lists it in a channel, reduced to what the outbox compares. */
export interface PostedMessage {
  id: string;
  nonce: string | number | null | undefined;
  authorId: string;
  content: string;
  embeds: { title?: string; description?: string; footer?: { text?: string } }[];
}

/** The channel and message id that a delivered create or thread got, by message key. */
export interface DeliveredMessage {
  messageKey: string;
  channelId: string;
  messageId: string;
}

/** The few Discord REST calls the outbox makes. */
export interface OutboxTransport {
  createMessage(channelId: string, body: MessageBody, nonce: string): Promise<{ id: string }>;
  editMessage(channelId: string, messageId: string, body: MessageBody): Promise<void>;
  /** Starts a public thread on a message; the thread's id is the message's id. */
  startThread(channelId: string, messageId: string, body: MessageBody): Promise<{ id: string }>;
  /** Lists up to `limit` messages of a channel with ids above `afterId`. */
  listMessagesAfter(channelId: string, afterId: string, limit: number): Promise<PostedMessage[]>;
  /** The bot's own user id. */
  currentUserId(): Promise<string>;
}
