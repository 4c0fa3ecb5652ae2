import { randomBytes } from 'node:crypto';
import type Database from 'better-sqlite3';
import type { DeliveredMessage, MessageBody, OutboxAction, OutboxItem } from './types.js';

type Row = Record<string, unknown>;

/** The outbox tables of the store: items waiting or done, and the messages they created. */
export class OutboxStore {
  constructor(private readonly db: Database.Database) {}

  add(item: { messageKey: string; action: OutboxAction; channelId: string; payload: MessageBody }, createdAt: Date): OutboxItem {
    // Discord takes nonces of at most 25 characters; 16 random bytes in base64url are 22.
    const nonce = randomBytes(16).toString('base64url');
    const result = this.db
      .prepare(
        `INSERT INTO outbox_items (message_key, action, channel_id, payload, nonce, created_at)
         VALUES (?, ?, ?, ?, ?, ?)`,
      )
      .run(item.messageKey, item.action, item.channelId, JSON.stringify(item.payload), nonce, createdAt.toISOString());
    return this.get(Number(result.lastInsertRowid))!;
  }

  get(id: number): OutboxItem | undefined {
    const row = this.db.prepare('SELECT * FROM outbox_items WHERE id = ?').get(id) as Row | undefined;
    return row ? toItem(row) : undefined;
  }

  /** Lists the oldest pending item of each message key, oldest first, because only those may be sent now. */
  listHeads(): OutboxItem[] {
    const rows = this.db
      .prepare(
        `SELECT * FROM outbox_items WHERE id IN (
           SELECT MIN(id) FROM outbox_items WHERE state = 'pending' GROUP BY message_key
         ) ORDER BY id`,
      )
      .all() as Row[];
    return rows.map(toItem);
  }

  /** Pending items of one key after `afterId`, in order. */
  listPendingAfter(messageKey: string, afterId: number): OutboxItem[] {
    const rows = this.db
      .prepare(`SELECT * FROM outbox_items WHERE message_key = ? AND state = 'pending' AND id > ? ORDER BY id`)
      .all(messageKey, afterId) as Row[];
    return rows.map(toItem);
  }

  countPending(): number {
    return (this.db.prepare(`SELECT COUNT(*) AS count FROM outbox_items WHERE state = 'pending'`).get() as { count: number }).count;
  }

  /** True when some item of the key was added and none of them is delivered or pending any more. */
  hasFailed(messageKey: string): boolean {
    const row = this.db
      .prepare(
        `SELECT SUM(state = 'failed') AS failed, SUM(state IN ('pending', 'delivered')) AS alive
         FROM outbox_items WHERE message_key = ? AND action IN ('create', 'thread')`,
      )
      .get(messageKey) as { failed: number | null; alive: number | null };
    return (row.failed ?? 0) > 0 && (row.alive ?? 0) === 0;
  }

  /** True when a delivered create or thread of any key got this message id. */
  isRecordedMessage(messageId: string): boolean {
    return this.db.prepare('SELECT 1 FROM outbox_messages WHERE message_id = ?').get(messageId) !== undefined;
  }

  findMessage(messageKey: string): DeliveredMessage | undefined {
    const row = this.db.prepare('SELECT * FROM outbox_messages WHERE message_key = ?').get(messageKey) as Row | undefined;
    return row ? { messageKey: row.message_key as string, channelId: row.channel_id as string, messageId: row.message_id as string } : undefined;
  }

  /**
   * Marks an item delivered and, for a create or a thread, records the id
   * Discord gave it, in one transaction, so a crash leaves either both or neither.
   */
  markDelivered(item: OutboxItem, at: Date, created?: { channelId: string; messageId: string }): void {
    this.db.transaction(() => {
      this.db.prepare(`UPDATE outbox_items SET state = 'delivered', delivered_at = ?, attempts = attempts + 1 WHERE id = ?`).run(at.toISOString(), item.id);
      if (created) {
        this.db
          .prepare(
            `INSERT INTO outbox_messages (message_key, channel_id, message_id, created_at) VALUES (?, ?, ?, ?)
             ON CONFLICT (message_key) DO UPDATE SET channel_id = excluded.channel_id, message_id = excluded.message_id`,
          )
          .run(item.messageKey, created.channelId, created.messageId, at.toISOString());
      }
    })();
  }

  markRetry(item: OutboxItem, nextAttemptAt: number, error: string, countsAsAttempt: boolean): void {
    this.db
      .prepare(`UPDATE outbox_items SET next_attempt_at = ?, last_error = ?, attempts = attempts + ? WHERE id = ?`)
      .run(nextAttemptAt, error, countsAsAttempt ? 1 : 0, item.id);
  }

  markFailed(item: OutboxItem, error: string): void {
    this.db.prepare(`UPDATE outbox_items SET state = 'failed', last_error = ?, attempts = attempts + 1 WHERE id = ?`).run(error, item.id);
  }

  markSuperseded(ids: number[]): void {
    const statement = this.db.prepare(`UPDATE outbox_items SET state = 'superseded' WHERE id = ?`);
    for (const id of ids) statement.run(id);
  }

  /** Holds every pending item until `until`, for a global rate limit. */
  holdAll(until: number): void {
    this.db.prepare(`UPDATE outbox_items SET next_attempt_at = MAX(next_attempt_at, ?) WHERE state = 'pending'`).run(until);
  }
}

function toItem(row: Row): OutboxItem {
  return {
    id: row.id as number,
    messageKey: row.message_key as string,
    action: row.action as OutboxAction,
    channelId: row.channel_id as string,
    payload: JSON.parse(row.payload as string) as MessageBody,
    nonce: row.nonce as string,
    state: row.state as OutboxItem['state'],
    attempts: row.attempts as number,
    nextAttemptAt: row.next_attempt_at as number,
    lastError: row.last_error as string | null,
    createdAt: Date.parse(row.created_at as string),
  };
}
