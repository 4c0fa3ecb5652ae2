import type Database from 'better-sqlite3';
import type { DashboardLinks } from '../dashboard/links.js';
import type { Logger } from '../logger.js';
import type { Outbox } from '../outbox/outbox.js';
import type { Clock, ClockTimer } from '../scheduler/clock.js';
import type { ImageValidationOutcome, Job, JobObserver, JobResult, Progress } from '../scheduler/job.js';
import { secretValues } from '../secrets.js';
import type { Store } from '../store/store.js';
import type { ImageResultRecord } from '../store/types.js';
import type { ValidateImageRecord } from '../store/validate-types.js';
import { signFailure } from '../triage/fingerprint.js';
import { TriageStore } from '../triage/triage-store.js';
import { MAX_CONTENT_CHARS, truncate } from './limits.js';
import type { OnCall } from './oncall.js';
import { renderSummary, type SummaryState } from './render-summary.js';
import { renderThreadReport, renderThreadStarter, threadName, type ThreadFailure } from './render-thread.js';

/** An image attached to a message: its file name and its bytes in base64, as the outbox stores it. */
export interface SummaryAttachment {
  name: string;
  base64: string;
}

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
  /** Renders an image for a nightly's final summary, such as the dashboard's matrix as a PNG; undefined attaches nothing. */
  renderNightlyAttachment?: () => SummaryAttachment;
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
    const state: SummaryState = { job, runId: undefined, images: [], validations: new Map(), done: 0, total: 0, threads: new Map(), links: this.options.links };
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

  validationChanged(job: Job, record: ValidateImageRecord, progress: Progress): void {
    const entry = this.summaries.get(job.id);
    if (!entry) return;
    entry.state.runId ??= record.runId;
    entry.state.validations.set(record.image, record);
    entry.state.validationProgress = progress;
    this.scheduleEdit(job);
  }

  finished(job: Job, result: JobResult): void {
    const entry = this.summaries.get(job.id);
    if (!entry) return;
    entry.timer?.cancel();
    const { state } = entry;
    Object.assign(state, { runId: result.runId, images: result.images, result, done: result.images.length, total: result.images.length });
    for (const outcome of result.validation?.images ?? []) state.validations.set(outcome.record.image, outcome.record);

    // A build that the job itself ran has this job's run id; a validate job lists older builds, whose failures were reported then.
    const failedBuilds = job.kind === 'validate' ? [] : result.images.filter((image) => image.status === 'failed');
    const failures: ThreadFailure[] = [
      ...failedBuilds.map(buildFailure),
      ...(result.validation?.images ?? []).filter((outcome) => outcome.record.status === 'failed' || outcome.record.status === 'error').map(validationFailure),
    ];
    for (const failure of failures) {
      try {
        state.threads.set(failure.image, this.reportFailure(failure, result));
      } catch (error) {
        this.options.logger.error({ runId: failure.runId, image: failure.image, err: error }, 'triage thread could not be prepared');
      }
    }

    const attachment = job.kind === 'nightly' ? this.renderAttachment(result.runId) : undefined;
    state.attachedImage = attachment?.name;
    const payload = renderSummary(state);
    if (attachment) Object.assign(payload, { files: [attachment], attachments: [{ id: 0, filename: attachment.name }] });
    this.options.outbox.enqueue({ messageKey: summaryKey(job), action: 'edit', channelId: this.options.channelId, payload });
    this.summaries.delete(job.id);
  }

  /**
   * Posts `text` in the open triage thread of an image's failure, such as
   * the link to the GitHub issue filed for it. Returns false when that
   * failure has no open thread.
   */
  postInThread(image: string, failureKey: string, messageKey: string, text: string): boolean {
    const threadKey = this.threads.find(image, failureKey);
    if (threadKey === undefined) return false;
    this.options.outbox.enqueue({
      messageKey,
      action: 'create',
      channelId: `{{id:${threadKey}}}`,
      payload: { content: truncate(text, MAX_CONTENT_CHARS), allowed_mentions: { parse: [] } },
    });
    return true;
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

  private renderAttachment(runId: string): SummaryAttachment | undefined {
    if (!this.options.renderNightlyAttachment) return undefined;
    try {
      return this.options.renderNightlyAttachment();
    } catch (error) {
      this.options.logger.warn({ runId, err: error }, 'summary image could not be rendered; the summary goes without it');
      return undefined;
    }
  }

  /**
   * Queues the thread report of one failure, in the thread of the same
   * image and fingerprint when one is open, else in a new thread. Returns
   * the thread's mention for the summary.
   */
  private reportFailure(failure: ThreadFailure, result: JobResult): string {
    const image = { image: failure.image };
    const triage = new TriageStore(this.options.store.db).getFailure(failure.runId, failure.image, failure.kind);
    const failureKey =
      triage?.fingerprintId ??
      signFailure({ kind: failure.kind, runId: failure.runId, image: failure.image, failedStep: failure.failedStep, error: failure.error, cause: failure.kind === 'build' ? (failure.cause as ImageResultRecord['cause']) : null, logPath: failure.logPath }).exactId;
    const report = {
      failure,
      triage,
      repo: result.repo,
      onCallUserId: this.options.onCall.current(this.options.clock.now())?.userId,
      links: this.options.links,
      secrets: secretValues(),
    };

    const runId = failure.runId;
    let threadKey = this.threads.find(image.image, failureKey);
    if (threadKey === undefined) {
      threadKey = `thread:${image.image}:${failureKey}:${runId}`;
      const starterKey = `thread-start:${image.image}:${failureKey}:${runId}`;
      this.options.outbox.enqueue({ messageKey: starterKey, action: 'create', channelId: this.options.channelId, payload: renderThreadStarter(report) });
      this.options.outbox.enqueue({ messageKey: threadKey, action: 'thread', channelId: this.options.channelId, payload: { starterKey, name: threadName(triage, failure) } });
      this.threads.open(image.image, failureKey, threadKey, runId);
      this.options.logger.info({ runId, image: image.image, failureKey }, 'triage thread opened');
    } else {
      this.threads.touch(image.image, failureKey, runId);
      this.options.logger.info({ runId, image: image.image, failureKey }, 'failure reported in its existing triage thread');
    }
    this.options.outbox.enqueue({ messageKey: `thread-post:${runId}:${image.image}:${failure.kind}`, action: 'create', channelId: `{{id:${threadKey}}}`, payload: renderThreadReport(report) });
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

function buildFailure(image: ImageResultRecord): ThreadFailure {
  return { image: image.image, kind: 'build', runId: image.runId, failedStep: image.failedStep, error: image.error, cause: image.cause, logPath: image.logPath, details: [] };
}

function validationFailure({ record, regressions, sourceFailures, unclassified }: ImageValidationOutcome): ThreadFailure {
  const details = [
    ...regressions.map((command) => `\`${truncate(command, 200)}\`: image regression, because it passes on the production image`),
    ...sourceFailures.map((command) => `\`${truncate(command, 200)}\`: fails on the production image too, so the sources are suspect`),
    ...unclassified.map((command) => `\`${truncate(command, 200)}\`: failed; no production image to compare with`),
  ];
  const failedStep = regressions[0] ?? sourceFailures[0] ?? unclassified[0] ?? null;
  return { image: record.image, kind: 'validate', runId: record.runId, failedStep, error: record.error, cause: record.cause, logPath: record.logPath, details };
}

function summaryKey(job: Job): string {
  return `summary:${job.id}`;
}

function describeJob(job: Job): string {
  if (job.kind === 'nightly') return `The nightly ${job.id}`;
  return `The ${job.kind} ${job.id}${job.requestedBy ? ` asked for by <@${job.requestedBy}>` : ''}`;
}
