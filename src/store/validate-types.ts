/** Outcome of one image in a validate run. `passed` is what the inventory diff calls a green build. */
export type ValidateStatus = 'pending' | 'running' | 'passed' | 'failed' | 'error' | 'cancelled' | 'skipped';

/** What a validate failure that is not a failing test is blamed on. */
export type ValidateCause = 'tests' | 'registry' | 'engine' | 'source' | 'not-built' | 'cancelled';

export type CommandStatus = 'passed' | 'failed' | 'timeout' | 'cancelled' | 'error';

/**
 * Why a command failed: `image-regression` when it passes on the production
 * image, `source-failure` when it fails there too, `unknown` when there is no
 * production image to compare with.
 */
export type FailureClassification = 'image-regression' | 'source-failure' | 'unknown';

export interface TestFailure {
  suite: string | null;
  classname: string | null;
  name: string;
  /** `failure` for a failed assertion, `error` for an unexpected exception. */
  kind: 'failure' | 'error';
  message: string | null;
}

/** Counts over every JUnit report a command wrote; `failed` includes errors. */
export interface JUnitSummary {
  files: string[];
  passed: number;
  failed: number;
  skipped: number;
  failures: TestFailure[];
}

/** The rerun of a failed command on the production image. */
export interface ProductionRerun {
  reference: string | null;
  status: CommandStatus | null;
  exitCode: number | null;
  /** Why no rerun took place, or what went wrong with it. */
  note: string | null;
}

export interface CommandResultRecord {
  runId: string;
  image: string;
  /** Index of the command in `validate.tests.<image>`, from 0. */
  position: number;
  command: string;
  status: CommandStatus;
  exitCode: number | null;
  durationMs: number | null;
  error: string | null;
  junit: JUnitSummary | null;
  classification: FailureClassification | null;
  production: ProductionRerun | null;
}

export interface ValidateImageRecord {
  runId: string;
  image: string;
  /** The rebuild run that built the image under test. */
  rebuildRunId: string;
  status: ValidateStatus;
  /** The image reference the containers ran: `repository@digest`, or a local image id. */
  reference: string | null;
  logPath: string | null;
  error: string | null;
  cause: ValidateCause | null;
  inventoryError: string | null;
  durationMs: number | null;
  startedAt: string | null;
  finishedAt: string | null;
}
