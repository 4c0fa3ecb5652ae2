import type { DrydockEnv } from '../config/env.js';
import type { Settings } from '../config/load-config.js';
import type { Engine } from '../engine/connect-engine.js';
import type { EnginePool } from '../engine/engine-pool.js';
import { describeError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { Store } from '../store/store.js';
import type { RunRecord } from '../store/types.js';
import { ValidateStore } from '../store/validate-store.js';
import { acquireStateLock } from '../state/state-lock.js';
import { runRebuild, type RebuildOptions, type RebuildResult } from './rebuild.js';
import { newRunRecord } from './tags.js';
import { runValidate, type ValidateOptions, type ValidateResult } from './validate.js';

export interface NightlyOptions {
  settings: Settings;
  env: DrydockEnv;
  /** Engines for the builds. */
  pool: EnginePool;
  /** A single engine for the tests, for callers without a pool; ignored when `pool` holds engines. */
  engine?: Engine;
  store: Store;
  logger: Logger;
  /** Image names to build and validate; all discovered images when empty. */
  images?: string[];
  /** False for `--no-push`; as for rebuild, nothing is pushed without a staging registry either way. */
  push?: boolean;
  trigger: string;
  triggeredBy?: string;
  signal: AbortSignal;
  onBuildChange?: RebuildOptions['onImageChange'];
  onValidateChange?: ValidateOptions['onImageChange'];
  clock?: () => Date;
}

export interface NightlyResult {
  run: RunRecord;
  rebuild: RebuildResult;
  /** Undefined when no image built, so there was nothing to validate. */
  validate: ValidateResult | undefined;
}

/**
 * Runs the nightly job: a rebuild, then a validate of every image that
 * built, recorded as one nightly run linked to both. It holds the state
 * directory's lock, so no other process runs a pipeline there meanwhile.
 */
export async function runNightly(options: NightlyOptions): Promise<NightlyResult> {
  const { settings, store, logger } = options;
  const clock = options.clock ?? (() => new Date());
  const validateStore = new ValidateStore(store.db);
  const lock = acquireStateLock(settings.stateDir, 'drydock nightly');

  try {
    const startedAt = clock();
    const run = newRunRecord('nightly', startedAt, { trigger: options.trigger, triggeredBy: options.triggeredBy, repo: settings.source.repo });
    store.insertRun(run);
    validateStore.saveNightlyLink({ runId: run.id, rebuildRunId: null, validateRunId: null });
    const runLogger = logger.child({ runId: run.id });
    runLogger.info({ trigger: run.trigger }, 'nightly run started');

    const finish = (status: RunRecord['status'], error: string | null) => {
      Object.assign(run, { status, error, finishedAt: clock().toISOString() });
      store.updateRun(run.id, run);
      runLogger.info({ status }, 'nightly run finished');
    };

    let rebuild: RebuildResult;
    try {
      rebuild = await runRebuild({
        settings,
        env: options.env,
        pool: options.pool,
        store,
        logger,
        images: options.images,
        push: options.push ?? true,
        trigger: `nightly:${run.id}`,
        triggeredBy: options.triggeredBy,
        signal: options.signal,
        onImageChange: options.onBuildChange,
        clock,
      });
    } catch (error) {
      finish('failed', `rebuild failed: ${describeError(error)}`);
      throw error;
    }
    Object.assign(run, {
      commitHash: rebuild.run.commitHash,
      shortCommit: rebuild.run.shortCommit,
      commitSubject: rebuild.run.commitSubject,
      commitAuthor: rebuild.run.commitAuthor,
      committedAt: rebuild.run.committedAt,
    });
    validateStore.saveNightlyLink({ runId: run.id, rebuildRunId: rebuild.run.id, validateRunId: null });

    const built = rebuild.images.filter((image) => image.status === 'succeeded').map((image) => image.image);
    if (built.length === 0 || options.signal.aborted) {
      finish(options.signal.aborted ? 'cancelled' : 'failed', options.signal.aborted ? null : 'no image built, so nothing was validated');
      return { run, rebuild, validate: undefined };
    }

    let validate: ValidateResult;
    try {
      validate = await runValidate({
        settings,
        env: options.env,
        pool: options.pool,
        engine: options.engine,
        store,
        logger,
        rebuildRunId: rebuild.run.id,
        images: built,
        trigger: `nightly:${run.id}`,
        triggeredBy: options.triggeredBy,
        signal: options.signal,
        onImageChange: options.onValidateChange,
        clock,
      });
    } catch (error) {
      finish('failed', `validate failed: ${describeError(error)}`);
      throw error;
    }
    validateStore.saveNightlyLink({ runId: run.id, rebuildRunId: rebuild.run.id, validateRunId: validate.run.id });

    const statuses = [rebuild.run.status, validate.run.status];
    const status = statuses.includes('cancelled') ? 'cancelled' : statuses.every((entry) => entry === 'succeeded') ? 'succeeded' : 'failed';
    finish(status, null);
    return { run, rebuild, validate };
  } finally {
    lock.release();
  }
}

