import path from 'node:path';
import type { DrydockEnv } from '../config/env.js';
import type { Settings } from '../config/load-config.js';
import { EnginePool } from '../engine/engine-pool.js';
import type { Logger } from '../logger.js';
import { checkFreeSpace } from '../state/check-disk.js';
import { recoverInterruptedRuns, type RecoveredRun } from '../state/recover-interrupted.js';
import { applyRetention } from '../state/retention.js';
import { acquireStateLock } from '../state/state-lock.js';
import { Store } from '../store/store.js';

/** The state lock, store and engines that a pipeline command keeps while it runs. */
export interface PipelineSession {
  store: Store;
  pool: EnginePool;
  recovered: RecoveredRun[];
  /** Applies log and image retention, then releases the store and the lock. */
  close(): Promise<void>;
}

/**
 * Opens the state directory for one pipeline command: takes its lock (one
 * pipeline per state directory, across processes), recovers runs that a
 * crash interrupted, and checks the free disk space before any work starts.
 */
export async function openPipelineSession(settings: Settings, env: DrydockEnv, logger: Logger, command: string): Promise<PipelineSession> {
  const lock = acquireStateLock(settings.stateDir, command);
  if (lock.staleOwner) {
    logger.warn({ stale: lock.staleOwner }, 'stale state lock taken over');
  }

  let store: Store | undefined;
  try {
    store = Store.open(path.join(settings.stateDir, 'drydock.db'));
    const pool = EnginePool.fromConfig(settings.engines, env, logger, settings.build.concurrency);
    const recovered = await recoverInterruptedRuns(store, pool, logger);
    await checkFreeSpace(settings.stateDir, pool, settings.disk.minFreeGb);

    const opened = store;
    return {
      store: opened,
      pool,
      recovered,
      async close() {
        try {
          await applyRetention(settings, opened, pool, logger);
        } catch (error) {
          logger.warn({ err: error }, 'retention failed; logs and images are kept until the next run');
        } finally {
          opened.close();
          lock.release();
        }
      },
    };
  } catch (error) {
    store?.close();
    lock.release();
    throw error;
  }
}

/** Describes each recovered run in one line, for the console. */
export function describeRecovered(recovered: RecoveredRun[]): string[] {
  return recovered.map(
    ({ run, unfinished, removedContainers, removedImages }) =>
      `Run ${run.id} (${run.kind}) was interrupted by a crash or SIGKILL: marked interrupted; unfinished: ${unfinished.join(', ') || 'none'}; removed ${removedContainers} leftover containers and ${removedImages} partial images; logs kept.`,
  );
}
