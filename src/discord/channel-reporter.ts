import type Database from 'better-sqlite3';
import type { DashboardLinks } from '../dashboard/links.js';
import type { Logger } from '../logger.js';
import type { Outbox } from '../outbox/outbox.js';
import type { Clock, ClockTimer } from '../scheduler/clock.js';
import type { Job, JobObserver, JobResult, Progress } from '../scheduler/job.js';
import { secretValues } from '../secrets.js';
import type { Store } from '../store/store.js';
import type { ImageResultRecord } from '../store/types.js';
import { signFailure } from '../triage/fingerprint.js';
import { TriageStore } from '../triage/triage-store.js';
import { MAX_CONTENT_CHARS, truncate } from './limits.js';
import type { OnCall } from './oncall.js';
import { renderSummary, type SummaryState } from './render-summary.js';
import { renderThreadReport, renderThreadStarter, threadName } from './render-thread.js';

export interface ChannelReporterOptions {
  outbox: Outbox;
  store: Store;
  channelId: string;
  onCall: OnCall;
  links: DashboardLinks | undefined;
  clock: Clock;
  logger: Logger;
  /** The summary is edited at most once in this many milliseconds while a run goes on. */
  editIntervalMs: number;
}

/**
 * Reports jobs in the Discord channel through the outbox: one summary
 * message per run, created when the run starts and edited as images finish,
 * and a triage thread for each failed image. A failure of an image that
 * has an open thread for the same fingerprint goes to that thread.
 */
export class ChannelReporter implements JobObserver {
  private readonly summaries = new Map<string, { state: SummaryState; lastEditAt: number; timer: ClockTimer | undefined }>();
  private readonly threads: ThreadRegistry;

  constructor(private readonly options: ChannelReporterOptions) {
    this.threads = new ThreadRegistry(options.store.db);
  }

  queued(job: Job, blockedBy: Job[]): void {
    const names = job.images?.join(', ') ?? 'every image';
    const text = `${describeJob(job)} of ${names} waits for ${blockedBy.map((other) => other.runId ?? other.id).join(', ')}, which works on the same images; it starts when that finishes.`;
    this.post(`queued:${job.id}`, text);
  }

  started(job: Job): void {
    const state: SummaryState = { job, runId: undefined, images: [], done: 0, total: 0, threads: new Map(), links: this.options.links };
    this.summaries.set(job.id, { state, lastEditAt: this.options.clock.now().getTime(), timer: undefined });
    this.options.outbox.enqueue({ messageKey: summaryKey(job), action: 'create', channelId: this.options.channelId, payload: renderSummary(state) });
  }

  imageChanged(job: Job, result: ImageResultRecord, progress: Progress): void {
    const entry = this.summaries.get(job.id);
    if (!entry) return;
    const { state } = entry;
    state.runId = result.runId;
    const index = state.images.findIndex((image) => image.image === result.image);
    if (index === -1) state.images.push(result);
    else state.images[index] = result;
    state.done = progress.done;
    state.total = progress.total;
    this.scheduleEdit(job);
  }

  finished(job: Job, result: JobResult): void {
    const entry = this.summaries.get(job.id);
    if (!entry) return;
    entry.timer?.cancel();
    const { state } = entry;
    Object.assign(state, { runId: result.runId, images: result.images, result, done: result.images.length, total: result.images.length });

    for (const image of result.images.filter((candidate) => candidate.status === 'failed')) {
      try {
        state.threads.set(image.image, this.reportFailure(image, result));
      } catch (error) {
        this.options.logger.error({ runId: result.runId, image: image.image, err: error }, 'triage thread could not be prepared');
      }
    }
    this.options.outbox.enqueue({ messageKey: summaryKey(job), action: 'edit', channelId: this.options.channelId, payload: renderSummary(state) });
    this.summaries.delete(job.id);
  }

  failed(job: Job, error: unknown): void {
    const entry = this.summaries.get(job.id);
    const message = error instanceof Error ? error.message : String(error);
    if (!entry) {
      this.post(`failed:${job.id}`, `${describeJob(job)} did not start: ${message}`);
      return;
    }
    entry.timer?.cancel();
    entry.state.error = message;
    this.options.outbox.enqueue({ messageKey: summaryKey(job), action: 'edit', channelId: this.options.channelId, payload: renderSummary(entry.state) });
    this.summaries.delete(job.id);
  }

  notice(text: string): void {
    this.post(`notice:${this.options.clock.now().toISOString()}:${Math.random().toString(36).slice(2, 8)}`, text);
  }

  private post(messageKey: string, text: string): void {
    this.options.outbox.enqueue({
      messageKey,
      action: 'create',
      channelId: this.options.channelId,
      payload: { content: truncate(text, MAX_CONTENT_CHARS), allowed_mentions: { parse: [] } },
    });
  }

  /** Edits the summary now, or once the edit interval since the last edit has passed. */
  private scheduleEdit(job: Job): void {
    const entry = this.summaries.get(job.id);
    if (!entry || entry.timer) return;

    const wait = entry.lastEditAt + this.options.editIntervalMs - this.options.clock.now().getTime();
    const edit = () => {
      entry.timer = undefined;
      if (!this.summaries.has(job.id)) return;
      entry.lastEditAt = this.options.clock.now().getTime();
      this.options.outbox.enqueue({ messageKey: summaryKey(job), action: 'edit', channelId: this.options.channelId, payload: renderSummary(entry.state) });
    };
    if (wait <= 0) edit();
    else entry.timer = this.options.clock.setTimer(wait, edit);
  }

  /**
   * Queues the thread report of one failed image, in the thread of the same
   * image and fingerprint when one is open, else in a new thread. Returns
   * the thread's mention for the summary.
   */
  private reportFailure(image: ImageResultRecord, result: JobResult): string {
    const triage = new TriageStore(this.options.store.db).getFailure(result.runId, image.image, 'build');
    const failureKey = triage?.fingerprintId ?? signFailure({ kind: 'build', runId: result.runId, image: image.image, failedStep: image.failedStep, error: image.error, cause: image.cause, logPath: image.logPath }).exactId;
    const report = {
      image,
      triage,
      runId: result.runId,
      repo: result.repo,
      onCallUserId: this.options.onCall.current(this.options.clock.now())?.userId,
      links: this.options.links,
      secrets: secretValues(),
    };

    let threadKey = this.threads.find(image.image, failureKey);
    if (threadKey === undefined) {
      threadKey = `thread:${image.image}:${failureKey}:${result.runId}`;
      const starterKey = `thread-start:${image.image}:${failureKey}:${result.runId}`;
      this.options.outbox.enqueue({ messageKey: starterKey, action: 'create', channelId: this.options.channelId, payload: renderThreadStarter(report) });
      this.options.outbox.enqueue({ messageKey: threadKey, action: 'thread', channelId: this.options.channelId, payload: { starterKey, name: threadName(image.image, triage, image) } });
      this.threads.open(image.image, failureKey, threadKey, result.runId);
      this.options.logger.info({ runId: result.runId, image: image.image, failureKey }, 'triage thread opened');
    } else {
      this.threads.touch(image.image, failureKey, result.runId);
      this.options.logger.info({ runId: result.runId, image: image.image, failureKey }, 'failure reported in its existing triage thread');
    }
    this.options.outbox.enqueue({ messageKey: `thread-post:${result.runId}:${image.image}`, action: 'create', channelId: `{{id:${threadKey}}}`, payload: renderThreadReport(report) });
    return `<#{{id:${threadKey}}}>`;
  }
}

/** Open triage threads by image and failure key, in the store. */
export class ThreadRegistry {
  constructor(private readonly db: Database.Database) {}

  find(image: string, failureKey: string): string | undefined {
    const row = this.db.prepare('SELECT message_key FROM triage_threads WHERE image = ? AND failure_key = ? AND closed = 0').get(image, failureKey) as { message_key: string } | undefined;
    return row?.message_key;
  }

  open(image: string, failureKey: string, messageKey: string, runId: string): void {
    this.db
      .prepare(
        `INSERT INTO triage_threads (image, failure_key, message_key, first_run_id, last_run_id) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (image, failure_key) DO UPDATE SET message_key = excluded.message_key, first_run_id = excluded.first_run_id, last_run_id = excluded.last_run_id, closed = 0`,
      )
      .run(image, failureKey, messageKey, runId, runId);
  }

  touch(image: string, failureKey: string, runId: string): void {
    this.db.prepare('UPDATE triage_threads SET last_run_id = ? WHERE image = ? AND failure_key = ?').run(runId, image, failureKey);
  }
}

function summaryKey(job: Job): string {
  return `summary:${job.id}`;
}

function describeJob(job: Job): string {
  if (job.kind === 'nightly') return `The nightly ${job.id}`;
  return `The ${job.kind} ${job.id}${job.requestedBy ? ` asked for by <@${job.requestedBy}>` : ''}`;
}
