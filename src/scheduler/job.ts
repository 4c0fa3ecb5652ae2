import type { ImageResultRecord, RunRecord } from '../store/types.js';
import type { ValidateImageRecord } from '../store/validate-types.js';

export type JobKind = 'nightly' | 'rebuild' | 'validate';

/** A pipeline run the bot was asked for, from the schedule or a command. */
export interface Job {
  /** Stable id of the request, such as `nightly-2025-01-10T05:00`, known before the run has an id. */
  id: string;
  kind: JobKind;
  /** Image names, or undefined for every image of the catalog. */
  images: string[] | undefined;
  ref?: string;
  noCache?: boolean;
  /** For a rebuild: validate the images after they build. */
  validate?: boolean;
  /** For a validate: the staging tag, or the newest build when unset. */
  tag?: string;
  trigger: 'schedule' | 'discord' | 'console';
  /** Who asked, such as a Discord user id; null for the schedule. */
  requestedBy: string | null;
  requestedAt: Date;
  controller: AbortController;
  /** The run id, once the pipeline created the run. */
  runId?: string;
}

export interface Progress {
  done: number;
  total: number;
}

/** The result a pipeline hands back: the run and each image's final result. */
export interface JobResult {
  runId: string;
  status: 'succeeded' | 'failed' | 'cancelled' | 'running' | 'interrupted';
  shortCommit: string | null;
  commitSubject: string | null;
  repo: string | null;
  startedAt: string;
  finishedAt: string | null;
  images: ImageResultRecord[];
  /** The staging tag of this run, such as 2025-01-10-05-00-00-abc1234. */
  tag: string | null;
  /** The validation of the built images, for a nightly, a validate, or a rebuild asked to validate. */
  validation?: ValidationOutcome;
}

/** One image's validation, with its failed commands sorted by what the production image showed. */
export interface ImageValidationOutcome {
  record: ValidateImageRecord;
  /** Commands that failed on the new image and passed on the production image. */
  regressions: string[];
  /** Commands that failed on the production image too, so the sources are to blame. */
  sourceFailures: string[];
  /** Failed commands with no production image to compare with. */
  unclassified: string[];
}

/** The validate run of a job. */
export interface ValidationOutcome {
  runId: string;
  /** The rebuild run whose images were tested. */
  rebuildRunId: string;
  status: RunRecord['status'];
  images: ImageValidationOutcome[];
}

/**
 * Receives what happens to jobs, to tell people: the console, the Discord
 * channel, or a command's reply.
 */
export interface JobObserver {
  queued?(job: Job, blockedBy: Job[]): void;
  started?(job: Job): void;
  imageChanged?(job: Job, result: ImageResultRecord, progress: Progress): void;
  /** An image's validation started or settled; `progress` counts validations, not builds. */
  validationChanged?(job: Job, record: ValidateImageRecord, progress: Progress): void;
  finished?(job: Job, result: JobResult): void;
  /** The run stopped before it had image results, such as on a failed fetch. */
  failed?(job: Job, error: unknown): void;
  /** A message to everyone, such as a nightly missed while the bot was down. */
  notice?(text: string): void;
}
