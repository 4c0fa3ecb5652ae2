import { rmdirSync } from 'node:fs';
import path from 'node:path';
import type { DrydockEnv } from '../config/env.js';
import type { Settings } from '../config/load-config.js';
import type { Engine } from '../engine/connect-engine.js';
import { EnginePool, type EngineRequirements } from '../engine/engine-pool.js';
import { ConfigError, describeError } from '../errors.js';
import type { Logger } from '../logger.js';
import { InventoryStore } from '../store/inventory-store.js';
import type { Store } from '../store/store.js';
import type { ImageResultRecord, RunRecord } from '../store/types.js';
import { ValidateStore } from '../store/validate-store.js';
import type { ValidateImageRecord } from '../store/validate-types.js';
import { validateImage, type ImageValidation } from '../validate/validate-image.js';
import { ensureSomeEngineUp } from './rebuild.js';
import { createRunId } from './tags.js';
import { discoverCatalog, type CatalogImage } from '../catalog/discover-images.js';
import { triageValidateFailures } from '../triage/triage-failures.js';

export interface ValidateOptions {
  settings: Settings;
  env: DrydockEnv;
  /**
   * The engines to run tests on. Each image goes to an engine with its
   * platform and labels, preferring the one that built it.
   */
  pool?: EnginePool;
  /** A single engine, for callers without a pool; ignored when `pool` is given. */
  engine?: Engine;
  store: Store;
  logger: Logger;
  /** The rebuild run whose images to validate; see `selectRebuildRun` for the default. */
  rebuildRunId?: string;
  /** A run tag such as 2026-01-31-05-00-00-abc1234, as an alternative to `rebuildRunId`. */
  tag?: string;
  /** Image names to validate; every image the rebuild built when empty. */
  images?: string[];
  trigger: string;
  triggeredBy?: string;
  signal: AbortSignal;
  onImageChange?: (record: ValidateImageRecord, progress: { done: number; total: number }) => void;
  clock?: () => Date;
}

export interface ValidateResult {
  run: RunRecord;
  rebuildRun: RunRecord;
  images: ImageValidation[];
}

/** Docker's tag grammar. */
const TAG_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const SETTLED = new Set(['passed', 'failed', 'error', 'cancelled', 'skipped']);

/**
 * Runs the validate pipeline on the images of one rebuild run: each image
 * is pulled, inventoried and tested, and failing commands are rerun on the
 * production image. A failing image is recorded and the others go on.
 * Problems that stop the whole run, such as an unknown run id or an engine
 * that is down, are thrown, and recorded on the run when it had started.
 */
export async function runValidate(options: ValidateOptions): Promise<ValidateResult> {
  const { settings, store, logger } = options;
  const validateStore = new ValidateStore(store.db);
  const inventoryStore = new InventoryStore(store.db);
  const clock = options.clock ?? (() => new Date());

  const rebuildRun = selectRebuildRun(store, validateStore, { runId: options.rebuildRunId, tag: options.tag });
  const builds = selectImages(store.listImageResults(rebuildRun.id), rebuildRun, options.images);
  if (!rebuildRun.commitHash) {
    throw new ConfigError(`run ${rebuildRun.id} recorded no commit, so there is nothing to check out for the tests`, {
      fix: 'validate a rebuild run that fetched its sources',
    });
  }

  const startedAt = clock();
  const run: RunRecord = {
    ...rebuildRun,
    id: createRunId(startedAt),
    kind: 'validate',
    trigger: options.trigger,
    triggeredBy: options.triggeredBy ?? null,
    status: 'running',
    startedAt: startedAt.toISOString(),
    finishedAt: null,
    error: null,
  };
  store.insertRun(run);
  validateStore.insertValidateRun(run.id, rebuildRun.id);
  const runLogger = logger.child({ runId: run.id });
  runLogger.info({ rebuildRunId: rebuildRun.id, images: builds.map((build) => build.image) }, 'validate run started');

  const pool = options.pool ?? poolOfOne(options.engine, runLogger);
  try {
    await ensureSomeEngineUp(pool);
  } catch (error) {
    finishRun(run, 'failed', clock(), store, describeError(error));
    runLogger.warn({ err: error, engines: pool.engines.map((engine) => engine.host) }, 'validate run failed before any image');
    throw error;
  }

  const records = new Map<string, ValidateImageRecord>();
  const report = (record: ValidateImageRecord) => {
    records.set(record.image, record);
    validateStore.saveImage(record);
    const done = [...records.values()].filter((entry) => SETTLED.has(entry.status)).length;
    options.onImageChange?.(record, { done, total: builds.length });
  };

  const results = new Map<string, ImageValidation>();
  const runnable: ImageResultRecord[] = [];
  for (const build of builds) {
    if (build.status === 'succeeded') {
      report(pendingRecord(run.id, build));
      runnable.push(build);
      continue;
    }
    const skipped: ValidateImageRecord = {
      ...pendingRecord(run.id, build),
      status: 'skipped',
      cause: 'not-built',
      error: `not validated: run ${rebuildRun.id} did not build ${build.image} (${build.status})`,
    };
    report(skipped);
    results.set(build.image, { record: skipped, commands: [], inventory: null });
  }

  const context = {
    settings,
    env: options.env,
    run,
    commit: rebuildRun.commitHash,
    logDir: path.join(settings.stateDir, 'logs', run.id),
    logger: runLogger,
    signal: options.signal,
    clock,
    onRecord: report,
    onCommand: (command: Parameters<ValidateStore['saveCommand']>[0]) => validateStore.saveCommand(command),
    onInventory: (inventory: Parameters<InventoryStore['save']>[0]) => inventoryStore.save(inventory),
  };
  await forEachLimited(runnable, settings.validate.concurrency, async (build) => {
    if (options.signal.aborted) {
      const cancelled: ValidateImageRecord = { ...pendingRecord(run.id, build), status: 'cancelled', cause: 'cancelled', error: 'run cancelled before this image started' };
      report(cancelled);
      results.set(build.image, { record: cancelled, commands: [], inventory: null });
      return;
    }
    results.set(build.image, await validateOnEngine(pool, { ...context, requirements: requirementsOf(settings, build.image) }, build));
  });

  removeEmptyFolder(path.join(settings.stateDir, 'worktrees', run.id), runLogger);

  // Failures are fingerprinted before the run is marked finished, so a report of the finished run includes them.
  const sourceDir = path.join(settings.stateDir, 'source');
  await triageValidateFailures({
    settings,
    env: options.env,
    store,
    logger: runLogger,
    run,
    sourceDir,
    catalog: catalogForTriage(settings, sourceDir, runLogger),
    rebuildRun,
    images: [...results.values()].map((result) => result.record),
  });

  const allPassed = [...results.values()].every((result) => result.record.status === 'passed');
  let status: RunRecord['status'] = allPassed ? 'succeeded' : 'failed';
  if (options.signal.aborted) status = 'cancelled';
  finishRun(run, status, clock(), store, null);
  runLogger.info({ status: run.status }, 'validate run finished');
  return { run, rebuildRun, images: builds.map((build) => results.get(build.image)!) };
}

/**
 * Picks the rebuild run to validate: the one `runId` names (a nightly run
 * stands for its rebuild), the one that tagged its images `tag`, or else
 * the newest rebuild run that built at least one image.
 */
export function selectRebuildRun(store: Store, validateStore: ValidateStore, choice: { runId?: string; tag?: string }): RunRecord {
  if (choice.runId !== undefined && choice.tag !== undefined) {
    throw new ConfigError('--run and --tag both name the images to validate', { fix: 'give only one of them' });
  }

  if (choice.runId !== undefined) {
    const run = store.getRun(choice.runId);
    if (!run) {
      throw new ConfigError(`run ${JSON.stringify(choice.runId)} was not found in the store`, {
        fix: 'pass the id of a rebuild run, as drydock rebuild --json prints it',
      });
    }
    if (run.kind === 'nightly') {
      const link = validateStore.getNightlyLink(run.id);
      if (link?.rebuildRunId) return store.getRun(link.rebuildRunId)!;
      throw new ConfigError(`nightly run ${run.id} has no rebuild run`, { fix: 'pass the id of a rebuild run' });
    }
    if (run.kind !== 'rebuild') {
      const rebuildRunId = validateStore.getRebuildRunOf(run.id);
      throw new ConfigError(`run ${run.id} is a ${run.kind} run, not a rebuild run`, {
        fix: rebuildRunId ? `pass the rebuild run it validated: --run ${rebuildRunId}` : 'pass the id of a rebuild run',
      });
    }
    return run;
  }

  if (choice.tag !== undefined) {
    if (!TAG_PATTERN.test(choice.tag)) {
      throw new ConfigError(`--tag = ${JSON.stringify(choice.tag)} is not a valid image tag`, {
        fix: 'give a run tag such as 2026-01-31-05-00-00-abc1234, as drydock rebuild prints it',
      });
    }
    const runId = validateStore.findRunByTag(choice.tag);
    if (!runId) {
      throw new ConfigError(`no rebuild run tagged its images ${choice.tag}`, {
        fix: 'give a tag that drydock rebuild printed, or use --run with a run id',
      });
    }
    return store.getRun(runId)!;
  }

  const latest = validateStore.findLatestBuiltRun();
  if (!latest) {
    throw new ConfigError('no rebuild run with a built image is recorded in the store', {
      fix: 'run drydock rebuild first, or point --state-dir at the folder it used',
    });
  }
  return store.getRun(latest)!;
}

function selectImages(builds: ImageResultRecord[], run: RunRecord, selected: string[] | undefined): ImageResultRecord[] {
  if (selected === undefined || selected.length === 0) {
    const built = builds.filter((build) => build.status === 'succeeded');
    if (built.length === 0) {
      throw new ConfigError(`run ${run.id} built no image, so there is nothing to validate`, { fix: 'pick another run with --run or --tag' });
    }
    return built;
  }

  const byName = new Map(builds.map((build) => [build.image, build]));
  const unknown = selected.filter((name) => !byName.has(name));
  if (unknown.length > 0) {
    throw new ConfigError(`unknown image ${unknown.map((name) => JSON.stringify(name)).join(', ')} in --images: run ${run.id} has no such image`, {
      fix: `choose from: ${[...byName.keys()].join(', ') || '(none)'}`,
    });
  }
  return [...new Set(selected)].map((name) => byName.get(name)!);
}

function pendingRecord(runId: string, build: ImageResultRecord): ValidateImageRecord {
  return {
    runId,
    image: build.image,
    rebuildRunId: build.runId,
    status: 'pending',
    reference: null,
    logPath: null,
    error: null,
    cause: null,
    inventoryError: null,
    durationMs: null,
    startedAt: null,
    finishedAt: null,
  };
}

/** Runs `work` on each item, at most `limit` at a time, in order of the items. */
async function forEachLimited<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

function finishRun(run: RunRecord, status: RunRecord['status'], at: Date, store: Store, error: string | null): void {
  run.status = status;
  run.finishedAt = at.toISOString();
  run.error = error;
  store.finishRun(run.id, status, run.finishedAt, error);
}

/** Removes the run's worktree folder once every image worktree in it is gone; a folder with leftovers stays. */
function removeEmptyFolder(dir: string, logger: Logger): void {
  try {
    rmdirSync(dir);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT') logger.warn({ err: error, dir }, 'validation worktree folder left behind');
  }
}

/** An image whose engine is lost mid-validation is validated once more on another engine, then reported. */
const MAX_ENGINE_ATTEMPTS = 2;

/**
 * Validates one image on an engine slot that meets its platform and labels,
 * preferring the engine that built it: an image that was never pushed
 * exists only there. When a validation ends in an engine error and the
 * engine no longer responds, the engine is marked down and the image is
 * validated once more on another suitable engine. That engine pulls it from
 * the staging registry, so an image that was never pushed cannot move.
 */
async function validateOnEngine(
  pool: EnginePool,
  context: Omit<Parameters<typeof validateImage>[0], 'docker'> & { requirements: EngineRequirements },
  build: ImageResultRecord,
): Promise<ImageValidation> {
  const failedEngines: string[] = [];
  const notes: string[] = [];
  for (let attempt = 1; ; attempt++) {
    let lease;
    try {
      lease = await pool.acquire(context.requirements, { prefer: build.engine ? [build.engine] : [], exclude: failedEngines, signal: context.signal });
    } catch (error) {
      const record: ValidateImageRecord = {
        ...pendingRecord(context.run.id, build),
        status: context.signal.aborted ? 'cancelled' : 'error',
        cause: context.signal.aborted ? 'cancelled' : 'engine',
        error: [...notes, describeError(error)].join('; '),
      };
      context.onRecord(record);
      return { record, commands: [], inventory: null };
    }

    try {
      context.logger.info({ image: build.image, engine: lease.engine.name }, 'validating image');
      const validation = await validateImage({ ...context, docker: lease.engine.docker, notes }, build);
      if (validation.record.cause !== 'engine' || attempt >= MAX_ENGINE_ATTEMPTS || context.signal.aborted) return validation;
      // An image that was never pushed exists only on this engine, so another engine cannot take over.
      if (build.digest === null) return validation;

      if (await pool.recheck(lease.engine)) return validation;
      const reason = lease.engine.downReason;
      failedEngines.push(lease.engine.name);
      notes.push(`engine ${lease.engine.name} failed (${reason}); validated again on another engine`);
      context.logger.warn({ image: build.image, engine: lease.engine.name, reason }, 'engine failed; validating the image on another engine');
    } finally {
      lease.release();
    }
  }
}

/** Returns the platform and labels an image needs from an engine, from its overrides. */
function requirementsOf(settings: Settings, image: string): EngineRequirements {
  const override = settings.images.overrides[image];
  return { platform: override?.platform, labels: override?.labels ?? [] };
}

function poolOfOne(engine: Engine | undefined, logger: Logger): EnginePool {
  if (!engine) throw new Error('runValidate needs a pool or an engine');
  return new EnginePool(
    [{ name: 'default', host: engine.host, docker: engine.docker, slots: 64, platforms: [], labels: [], state: 'unknown', downReason: undefined, busy: 0, lastCheckedAt: 0 }],
    logger,
  );
}

/**
 * Reads the catalog of the last fetched checkout, which triage uses to tell
 * whether an image's own files changed. Without it, triage still records
 * the failure and leaves that part out.
 */
function catalogForTriage(settings: Settings, sourceDir: string, logger: Logger): CatalogImage[] {
  try {
    return discoverCatalog(settings, sourceDir).images;
  } catch (error) {
    logger.warn({ err: error }, 'catalog not readable for triage; image input changes are left out');
    return [];
  }
}
