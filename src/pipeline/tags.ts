import { randomBytes } from 'node:crypto';

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
