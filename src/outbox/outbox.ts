import type { Logger } from '../logger.js';
import { classifyDeliveryError, isThreadAlreadyCreated } from './delivery-error.js';
import { findEarlierCreate, NONCE_WINDOW_MS } from './find-earlier-create.js';
import type { OutboxStore } from './outbox-store.js';
import type { MessageBody, OutboxAction, OutboxItem, OutboxTransport } from './types.js';

/** The first retry after a 5xx or network error waits this long; each further one doubles it. */
export const FIRST_RETRY_DELAY_MS = 1_000;
/** Retries never wait longer than this. */
export const MAX_RETRY_DELAY_MS = 5 * 60_000;
/** The delivery loop looks again at least this often, so an item added by another process is not missed for long. */
const IDLE_POLL_MS = 30_000;

const REFERENCE = /\{\{id:([^}]+)\}\}/g;

export interface OutboxClock {
  now(): number;
}

export interface OutboxOptions {
  store: OutboxStore;
  transport: OutboxTransport;
  logger: Logger;
  clock?: OutboxClock;
  firstRetryDelayMs?: number;
  maxRetryDelayMs?: number;
}

/** The outcome of one delivery pass, and when the next item is due. */
export interface DeliveryPass {
  delivered: number;
  failed: number;
  /** Milliseconds since the epoch when the earliest waiting item is due; undefined when nothing waits. */
  nextDueAt: number | undefined;
}

/**
 * Delivers Discord messages, edits and threads from a persistent queue in
 * the store. Items of one message key go out in order; a 5xx or network
 * error is retried with backoff, a 429 delays the item until its retry-after,
 * and a run of edits to one message collapses into its last edit. Because
 * the queue is in SQLite, items still pending at a restart are sent then.
 *
 * A create is sent with a nonce and `enforce_nonce`, so when a response is
 * lost and the create is sent again, Discord returns the first message
 * instead of posting a second one. Discord keeps nonces for a few minutes
 * only, so a create added longer ago than that is first looked for in the
 * channel and, when found, recorded instead of sent again. Starting a thread twice fails with code
 * 160004, which the outbox takes as success, because a thread started on a
 * message has that message's id.
 */
export class Outbox {
  private readonly store: OutboxStore;
  private readonly transport: OutboxTransport;
  private readonly logger: Logger;
  private readonly clock: OutboxClock;
  private readonly firstRetryDelayMs: number;
  private readonly maxRetryDelayMs: number;
  private passing: Promise<DeliveryPass> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private wakeRequested = false;

  constructor(options: OutboxOptions) {
    this.store = options.store;
    this.transport = options.transport;
    this.logger = options.logger;
    this.clock = options.clock ?? { now: () => Date.now() };
    this.firstRetryDelayMs = options.firstRetryDelayMs ?? FIRST_RETRY_DELAY_MS;
    this.maxRetryDelayMs = options.maxRetryDelayMs ?? MAX_RETRY_DELAY_MS;
  }

  /** Adds an item and wakes the delivery loop. Returns the item's id. */
  enqueue(item: { messageKey: string; action: OutboxAction; channelId: string; payload: MessageBody }): number {
    const added = this.store.add(item, new Date(this.clock.now()));
    this.logger.debug({ outboxId: added.id, messageKey: item.messageKey, action: item.action }, 'outbox item added');
    this.wake();
    return added.id;
  }

  pendingCount(): number {
    return this.store.countPending();
  }

  /** Returns the id Discord gave the message or thread of a key, once it is delivered. */
  messageIdOf(messageKey: string): string | undefined {
    return this.store.findMessage(messageKey)?.messageId;
  }

  /** Starts delivering in the background until `stop`. */
  start(): void {
    this.running = true;
    this.wake();
  }

  stop(): void {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /**
   * Delivers until nothing is pending or `deadline` (milliseconds since the
   * epoch) passes, waiting out retry delays in between. Returns the number
   * of items still pending.
   */
  async flush(deadline: number): Promise<number> {
    for (;;) {
      const pass = await this.deliverDue();
      if (pass.nextDueAt === undefined) return 0;

      const wait = Math.max(pass.nextDueAt - this.clock.now(), 10);
      if (this.clock.now() + wait > deadline) return this.store.countPending();
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }

  /**
   * Sends every item that is due now, one message key at a time in order,
   * and returns when nothing more is due. Concurrent calls share one pass.
   */
  deliverDue(): Promise<DeliveryPass> {
    if (!this.passing) {
      this.passing = this.runPass().finally(() => {
        this.passing = undefined;
      });
    }
    return this.passing;
  }

  private wake(): void {
    if (!this.running) return;
    if (this.passing) {
      this.wakeRequested = true;
      return;
    }
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.loop(), 0);
    this.timer.unref();
  }

  private async loop(): Promise<void> {
    this.timer = undefined;
    let pass: DeliveryPass;
    try {
      pass = await this.deliverDue();
    } catch (error) {
      this.logger.error({ err: error }, 'outbox delivery pass failed');
      pass = { delivered: 0, failed: 0, nextDueAt: this.clock.now() + this.firstRetryDelayMs };
    }
    if (!this.running) return;

    const wait = this.wakeRequested ? 0 : Math.min(pass.nextDueAt === undefined ? IDLE_POLL_MS : Math.max(pass.nextDueAt - this.clock.now(), 0), IDLE_POLL_MS);
    this.wakeRequested = false;
    this.timer = setTimeout(() => void this.loop(), wait);
    this.timer.unref();
  }

  private async runPass(): Promise<DeliveryPass> {
    const pass: DeliveryPass = { delivered: 0, failed: 0, nextDueAt: undefined };
    const keysHeldThisPass = new Set<string>();
    for (;;) {
      const now = this.clock.now();
      const allHeads = this.store.listHeads();
      const due = allHeads.filter((item) => !keysHeldThisPass.has(item.messageKey) && item.nextAttemptAt <= now && this.referencesSettled(item));
      if (due.length === 0) {
        // An item waiting only for another key's delivery becomes due when that key is delivered, and a later pass sends it then.
        const waiting = allHeads.filter((item) => this.referencesSettled(item) || item.nextAttemptAt > now);
        return { ...pass, nextDueAt: earliest(waiting.map((item) => item.nextAttemptAt), now) };
      }

      for (const head of due) {
        const outcome = await this.deliver(this.collapseEdits(head));
        if (outcome === 'delivered') pass.delivered++;
        if (outcome === 'failed') pass.failed++;
        if (outcome === 'held') keysHeldThisPass.add(head.messageKey);
        if (outcome === 'held-all') return { ...pass, nextDueAt: earliest(this.store.listHeads().map((item) => item.nextAttemptAt), this.clock.now()) };
      }
    }
  }

  /** Reduces a waiting run of edits to one message to its last edit, because each edit replaces the whole message. */
  private collapseEdits(head: OutboxItem): OutboxItem {
    if (head.action !== 'edit') return head;

    const following = this.store.listPendingAfter(head.messageKey, head.id);
    const run: OutboxItem[] = [head];
    for (const item of following) {
      if (item.action !== 'edit' || item.channelId !== head.channelId) break;
      run.push(item);
    }
    const last = run.at(-1)!;
    if (run.length > 1) this.store.markSuperseded(run.slice(0, -1).map((item) => item.id));
    return { ...last, nextAttemptAt: head.nextAttemptAt, attempts: head.attempts };
  }

  /** True when every `{{id:KEY}}` the item names was delivered or has failed for good. */
  private referencesSettled(item: OutboxItem): boolean {
    const keys = referencedKeys(item);
    return keys.every((key) => this.store.findMessage(key) !== undefined || this.store.hasFailed(key));
  }

  private async deliver(item: OutboxItem): Promise<'delivered' | 'failed' | 'held' | 'held-all'> {
    const logger = this.logger.child({ outboxId: item.id, messageKey: item.messageKey, action: item.action });
    const channelId = this.resolve(item.channelId);
    const payload = JSON.parse(this.resolve(JSON.stringify(item.payload))) as MessageBody;

    try {
      const created = await this.send(item, channelId, payload, logger);
      this.store.markDelivered(item, new Date(this.clock.now()), created);
      logger.info({ channelId, messageId: created?.messageId, attempts: item.attempts + 1 }, 'notification delivered');
      return 'delivered';
    } catch (error) {
      return this.handleFailure(item, error, logger);
    }
  }

  /**
   * Returns the id of the message an earlier attempt of an old create
   * posted, or undefined when the create must be sent. Only creates added
   * longer ago than the nonce window are looked for, because within it the
   * nonce stops a duplicate.
   */
  private async findEarlierAttempt(item: OutboxItem, channelId: string, payload: MessageBody, logger: Logger): Promise<string | undefined> {
    if (this.clock.now() - item.createdAt < NONCE_WINDOW_MS) return undefined;

    const earlier = await findEarlierCreate(this.transport, item, channelId, payload, (messageId) => this.store.isRecordedMessage(messageId));
    if (earlier.kind === 'found') {
      logger.info({ channelId, messageId: earlier.messageId, matchedBy: earlier.matchedBy }, 'message of an earlier attempt found in the channel; recorded, not sent again');
      return earlier.messageId;
    }
    if (earlier.kind === 'gave-up') logger.warn({ channelId, pagesRead: earlier.pagesRead }, 'channel too busy to look for an earlier attempt; sending again');
    return undefined;
  }

  private async send(item: OutboxItem, channelId: string, payload: MessageBody, logger: Logger): Promise<{ channelId: string; messageId: string } | undefined> {
    switch (item.action) {
      case 'create': {
        const earlier = await this.findEarlierAttempt(item, channelId, payload, logger);
        if (earlier !== undefined) return { channelId, messageId: earlier };
        const message = await this.transport.createMessage(channelId, payload, item.nonce);
        return { channelId, messageId: message.id };
      }
      case 'edit': {
        const target = this.store.findMessage(item.messageKey);
        if (!target) throw new MissingTargetError(item.messageKey);
        await this.transport.editMessage(target.channelId, target.messageId, payload);
        return undefined;
      }
      case 'thread': {
        const starterKey = String(payload.starterKey);
        const starter = this.store.findMessage(starterKey);
        if (!starter) throw new MissingTargetError(starterKey);
        const body = { ...payload };
        delete body.starterKey;
        try {
          const thread = await this.transport.startThread(starter.channelId, starter.messageId, body);
          return { channelId: starter.channelId, messageId: thread.id };
        } catch (error) {
          // An earlier attempt started the thread but its response was lost.
          if (isThreadAlreadyCreated(error)) return { channelId: starter.channelId, messageId: starter.messageId };
          throw error;
        }
      }
    }
  }

  private handleFailure(item: OutboxItem, error: unknown, logger: Logger): 'failed' | 'held' | 'held-all' {
    const now = this.clock.now();
    if (error instanceof MissingTargetError) {
      this.store.markFailed(item, error.message);
      logger.error({ error: error.message }, 'notification dropped: its message was never created');
      return 'failed';
    }

    const verdict = classifyDeliveryError(error);
    switch (verdict.kind) {
      case 'permanent':
        this.store.markFailed(item, verdict.reason);
        logger.error({ error: verdict.reason }, 'notification rejected by Discord; not retried');
        return 'failed';
      case 'rate-limited': {
        const until = now + verdict.retryAfterMs;
        this.store.markRetry(item, until, verdict.reason, false);
        if (verdict.global) this.store.holdAll(until);
        logger.warn({ retryAfterMs: verdict.retryAfterMs, global: verdict.global }, 'Discord rate limit; notification held');
        return verdict.global ? 'held-all' : 'held';
      }
      case 'retry': {
        const delay = Math.min(this.firstRetryDelayMs * 2 ** item.attempts, this.maxRetryDelayMs);
        this.store.markRetry(item, now + delay, verdict.reason, true);
        logger.warn({ error: verdict.reason, attempts: item.attempts + 1, retryInMs: delay }, 'notification failed; retrying');
        return 'held';
      }
    }
  }

  private resolve(text: string): string {
    return text.replace(REFERENCE, (_match, key: string) => this.store.findMessage(key)?.messageId ?? 'unknown');
  }
}

/** An edit or thread whose message was never created, because its create failed for good. */
class MissingTargetError extends Error {
  constructor(messageKey: string) {
    super(`no message was created for ${messageKey}`);
  }
}

/** Lists the message keys an item needs delivered first: its `{{id:KEY}}` references and, for a thread, its starter message. */
function referencedKeys(item: OutboxItem): string[] {
  const text = `${item.channelId} ${JSON.stringify(item.payload)}`;
  const keys = [...text.matchAll(REFERENCE)].map((match) => match[1]!);
  if (item.action === 'thread') keys.push(String(item.payload.starterKey));
  return keys;
}

function earliest(times: number[], now: number): number | undefined {
  if (times.length === 0) return undefined;
  return Math.max(Math.min(...times), now);
}
