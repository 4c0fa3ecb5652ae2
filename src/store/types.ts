export type RunKind = 'rebuild' | 'validate' | 'nightly';
export type RunStatus = 'running' | 'succeeded' | 'failed' | 'cancelled' | 'interrupted';
export type ImageStatus = 'pending' | 'running' | 'succeeded' | 'failed' | 'skipped' | 'cancelled';
/** What an image's failure is blamed on. */
export type FailureCause = 'build' | 'timeout' | 'registry' | 'engine' | 'parent' | 'cancelled' | 'interrupted';

export interface RunRecord {
  id: string;
  kind: RunKind;
  trigger: string;
  triggeredBy: string | null;
  status: RunStatus;
  repo: string | null;
  commitHash: string | null;
  shortCommit: string | null;
  commitSubject: string | null;
  commitAuthor: string | null;
  committedAt: string | null;
  startedAt: string;
  finishedAt: string | null;
  error: string | null;
}

export interface ImageResultRecord {
  runId: string;
  image: string;
  status: ImageStatus;
  /** Name of the engine that built the image (the last one, after a retry). */
  engine: string | null;
  /** Remarks for the report, such as a retry on another engine. */
  notes: string[];
  tags: string[];
  digest: string | null;
  imageId: string | null;
  sizeBytes: number | null;
  durationMs: number | null;
  logPath: string | null;
  failedStep: string | null;
  error: string | null;
  cause: FailureCause | null;
  /** Digest of each base image, by the reference the Dockerfile names. */
  baseImages: Record<string, string | null>;
  startedAt: string | null;
  finishedAt: string | null;
}
