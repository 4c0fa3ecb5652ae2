import { randomBytes } from 'node:crypto';
import type { RunKind, RunRecord } from '../store/types.js';

/** The run's tag: `YYYY-MM-DD-HH-MM-SS-<short hash>`, in UTC at the run's start. */
export function timestampTag(startedAt: Date, shortHash: string): string {
  const stamp = startedAt.toISOString().slice(0, 19).replace(/[-T:]/g, '-');
  return `${stamp}-${shortHash}`;
}

/** A run id that sorts by start time: `YYYYMMDD-HHMMSS-<4 hex digits>`. */
export function createRunId(startedAt: Date): string {
  const stamp = startedAt.toISOString().slice(0, 19).replace(/[-:]/g, '').replace('T', '-');
  return `${stamp}-${randomBytes(2).toString('hex')}`;
}

/** Creates the record of a run that starts now, before its commit is known. */
export function newRunRecord(kind: RunKind, startedAt: Date, request: { trigger: string; triggeredBy?: string; repo: string }): RunRecord {
  return {
    id: createRunId(startedAt),
    kind,
    trigger: request.trigger,
    triggeredBy: request.triggeredBy ?? null,
    status: 'running',
    repo: request.repo,
    commitHash: null,
    shortCommit: null,
    commitSubject: null,
    commitAuthor: null,
    committedAt: null,
    startedAt: startedAt.toISOString(),
    finishedAt: null,
    error: null,
  };
}
