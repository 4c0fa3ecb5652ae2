import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { DrydockError } from '../errors.js';

/** The lock file's content: who holds the state directory. */
interface LockOwner {
  pid: number;
  host: string;
  command: string;
  startedAt: string;
}

/** Raised when another live process has the state directory locked. */
export class StateLockedError extends DrydockError {}

/** A held lock on a state directory; release it when the pipeline ends. */
export interface StateLock {
  file: string;
  /** The owner of a lock that was found stale and taken over, for a report. */
  staleOwner: LockOwner | undefined;
  release(): void;
}

const LOCK_FILE = 'drydock.lock';

/**
 * Takes the state directory's lock, so only one pipeline runs on it at a
 * time, across processes. A lock left by a process that no longer runs on
 * this host is stale and taken over. A lock from another host is never taken
 * over, because drydock cannot tell whether that process still runs.
 * Within one process the lock is shared: only the outermost holder releases it.
 */
export function acquireStateLock(stateDir: string, command: string): StateLock {
  mkdirSync(stateDir, { recursive: true });
  const file = path.join(stateDir, LOCK_FILE);
  const owner: LockOwner = { pid: process.pid, host: hostname(), command, startedAt: new Date().toISOString() };

  let staleOwner: LockOwner | undefined;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const descriptor = openSync(file, 'wx', 0o644);
      writeSync(descriptor, `${JSON.stringify(owner)}\n`);
      closeSync(descriptor);
      return { file, staleOwner, release: () => releaseIfOurs(file) };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }

    const holder = readOwner(file);
    // A pipeline nested in another of the same process shares the outer lock.
    // A nightly runs a rebuild and a validate this way, and the bot runs its jobs.
    if (holder?.pid === process.pid && holder.host === hostname()) {
      return { file, staleOwner: undefined, release: () => undefined };
    }
    if (holder && isAlive(holder)) {
      throw new StateLockedError(
        `the state directory ${stateDir} is in use by ${holder.command} (pid ${holder.pid} on ${holder.host}, since ${holder.startedAt})`,
        { fix: `wait for it to finish, or use another --state-dir; if that process is gone, delete ${file}` },
      );
    }
    staleOwner = holder;
    rmSync(file, { force: true });
  }
  throw new StateLockedError(`could not take the lock ${file}: another process took it at the same moment`, {
    fix: 'run the command again',
  });
}

function readOwner(file: string): LockOwner | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as LockOwner;
  } catch {
    // An empty or torn file comes from a process that died while writing it.
    return undefined;
  }
}

function isAlive(owner: LockOwner): boolean {
  if (owner.host !== hostname()) return true;
  try {
    process.kill(owner.pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function releaseIfOurs(file: string): void {
  const holder = readOwner(file);
  if (holder?.pid === process.pid && holder.host === hostname()) rmSync(file, { force: true });
}
