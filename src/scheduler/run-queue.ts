import type { Logger } from '../logger.js';
import type { Job, JobObserver, JobResult, Progress } from './job.js';
import type { ImageResultRecord } from '../store/types.js';
import type { ValidateImageRecord } from '../store/validate-types.js';

/** Runs one job's pipeline and returns its result. */
export type PipelineRunner = (
  job: Job,
  hooks: {
    signal: AbortSignal;
    onRunCreated: (runId: string) => void;
    onImageChange: (result: ImageResultRecord, progress: Progress) => void;
    onValidationChange: (record: ValidateImageRecord, progress: Progress) => void;
  },
) => Promise<JobResult>;

/**
 * Runs jobs so that no two pipelines work on the same image at once. A job
 * whose images overlap a running job's waits in a queue, in arrival order,
 * and observers are told what it waits for. A job for every image overlaps
 * every other job.
 */
export class RunQueue {
  private readonly running = new Map<string, { job: Job; done: Promise<void> }>();
  private readonly waiting: Job[] = [];
  private readonly observers: JobObserver[] = [];

  constructor(
    private readonly runner: PipelineRunner,
    private readonly logger: Logger,
  ) {}

  addObserver(observer: JobObserver): void {
    this.observers.push(observer);
  }

  /**
   * Adds a job; it starts at once unless it overlaps a running or earlier
   * queued job. Returns the jobs it waits for, empty when it started.
   */
  submit(job: Job, observer?: JobObserver): Job[] {
    if (observer) this.jobObservers.set(job.id, observer);
    const blockers = this.findBlockers(job, [...this.running.values()].map((entry) => entry.job).concat(this.waiting));
    if (blockers.length > 0) {
      this.waiting.push(job);
      this.logger.info({ jobId: job.id, blockedBy: blockers.map((blocker) => blocker.id) }, 'job queued behind a run on the same images');
      this.emit(job, (target) => target.queued?.(job, blockers));
      return blockers;
    }
    this.launch(job);
    return [];
  }

  /** Jobs running now, oldest first. */
  listRunning(): Job[] {
    return [...this.running.values()].map((entry) => entry.job);
  }

  listWaiting(): Job[] {
    return [...this.waiting];
  }

  /** Cancels a running or waiting job by job id or run id. Returns the job, or undefined when none matches. */
  cancel(id: string, reason: string): Job | undefined {
    const waitingIndex = this.waiting.findIndex((job) => job.id === id || job.runId === id);
    if (waitingIndex !== -1) {
      const [job] = this.waiting.splice(waitingIndex, 1);
      job!.controller.abort(new Error(reason));
      this.emit(job!, (target) => target.failed?.(job!, new Error(`cancelled before it started: ${reason}`)));
      this.jobObservers.delete(job!.id);
      this.startWaiting();
      return job;
    }
    const running = [...this.running.values()].find((entry) => entry.job.id === id || entry.job.runId === id);
    running?.job.controller.abort(new Error(reason));
    return running?.job;
  }

  /** Resolves when nothing runs and nothing waits. */
  async drain(): Promise<void> {
    while (this.running.size > 0) {
      await Promise.all([...this.running.values()].map((entry) => entry.done));
    }
  }

  /** Cancels every job, running or waiting. */
  cancelAll(reason: string): void {
    for (const job of [...this.waiting]) this.cancel(job.id, reason);
    for (const { job } of this.running.values()) job.controller.abort(new Error(reason));
  }

  private readonly jobObservers = new Map<string, JobObserver>();

  private launch(job: Job): void {
    this.logger.info({ jobId: job.id, kind: job.kind, images: job.images ?? 'all' }, 'job started');
    this.emit(job, (target) => target.started?.(job));
    const done = this.runner(job, {
      signal: job.controller.signal,
      onRunCreated: (runId) => {
        job.runId = runId;
      },
      onImageChange: (result, progress) => {
        job.runId ??= result.runId;
        this.emit(job, (target) => target.imageChanged?.(job, result, progress));
      },
      onValidationChange: (record, progress) => {
        // A validate job has no build; its validate run is the run /cancel names.
        job.runId ??= record.runId;
        this.emit(job, (target) => target.validationChanged?.(job, record, progress));
      },
    })
      .then((result) => {
        job.runId = result.runId;
        this.logger.info({ jobId: job.id, runId: result.runId, status: result.status }, 'job finished');
        this.emit(job, (target) => target.finished?.(job, result));
      })
      .catch((error: unknown) => {
        this.logger.error({ jobId: job.id, runId: job.runId, err: error }, 'job failed before its images were built');
        this.emit(job, (target) => target.failed?.(job, error));
      })
      .finally(() => {
        this.running.delete(job.id);
        this.jobObservers.delete(job.id);
        this.startWaiting();
      });
    this.running.set(job.id, { job, done });
  }

  private startWaiting(): void {
    for (const job of [...this.waiting]) {
      const earlier = this.waiting.slice(0, this.waiting.indexOf(job));
      const others = [...this.running.values()].map((entry) => entry.job).concat(earlier);
      if (this.findBlockers(job, others).length > 0) continue;

      this.waiting.splice(this.waiting.indexOf(job), 1);
      this.launch(job);
    }
  }

  private findBlockers(job: Job, others: Job[]): Job[] {
    return others.filter((other) => other !== job && overlaps(job.images, other.images));
  }

  private emit(job: Job, call: (observer: JobObserver) => void): void {
    const targets = [...this.observers];
    const own = this.jobObservers.get(job.id);
    if (own) targets.push(own);
    for (const target of targets) {
      try {
        call(target);
      } catch (error) {
        this.logger.error({ jobId: job.id, err: error }, 'job observer failed');
      }
    }
  }
}

function overlaps(a: string[] | undefined, b: string[] | undefined): boolean {
  if (a === undefined || b === undefined) return true;
  return a.some((name) => b.includes(name));
}
