import type { FailureCause } from '../store/types.js';

/** What kind of breakage a failure is, as far as its log shows. */
export type FailureClass =
  | 'network'
  | 'apt-key'
  | 'package-not-found'
  | 'pip-resolution'
  | 'compiler'
  | 'test-failure'
  | 'timeout'
  | 'out-of-memory'
  | 'disk-full'
  | 'registry'
  | 'engine'
  | 'unknown';

/** Words for each class, for titles, reports and the command line. */
export const FAILURE_CLASS_TITLES: Record<FailureClass, string> = {
  network: 'network or download failure',
  'apt-key': 'apt key or signature failure',
  'package-not-found': 'package not found',
  'pip-resolution': 'pip resolution or version failure',
  compiler: 'compiler or build error',
  'test-failure': 'test failure',
  timeout: 'timeout',
  'out-of-memory': 'out of memory',
  'disk-full': 'disk full',
  registry: 'registry push or pull failure',
  engine: 'Docker engine error',
  unknown: 'unclassified failure',
};

/** The stage of a run that failed. */
export type FailureKind = 'build' | 'validate';

/** One failed image in one run, as the pipelines record it. */
export interface FailureReport {
  kind: FailureKind;
  runId: string;
  image: string;
  /** The step or command that failed, such as `Step 3/9 : RUN sh /install/core.sh`. */
  failedStep: string | null;
  /** The one-line error the pipeline recorded. */
  error: string | null;
  cause: FailureCause | null;
  /** The log file, with one UTC timestamp at the start of each line. */
  logPath: string | null;
}

/** A failure reduced to what identifies its kind of breakage. */
export interface FailureSignature {
  failureClass: FailureClass;
  /** The log lines that show the error, without timestamps, oldest first. */
  errorLines: string[];
  /** `errorLines` after normalisation, joined by newlines: what fingerprints compare. */
  normalized: string;
  /** The stable id of `normalized` and the class alone, before near-duplicate grouping. */
  exactId: string;
}
