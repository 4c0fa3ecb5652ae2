import path from 'node:path';
import { buildImage } from '../build/build-image.js';
import { LogFile } from '../build/log-file.js';
import { discoverCatalog, type CatalogImage } from '../catalog/discover-images.js';
import { repositoryFor, splitReference } from '../catalog/image-reference.js';
import type { DrydockEnv } from '../config/env.js';
import type { Settings } from '../config/load-config.js';
import { EngineFaultError } from '../engine/engine-fault.js';
import type { EngineLease, EnginePool, PoolEngine } from '../engine/engine-pool.js';
import { transferImage } from '../engine/transfer-image.js';
import { ConfigError, describeError, ExternalHostError } from '../errors.js';
import type { Logger } from '../logger.js';
import { findRegistryAuth, registryHostOf } from '../registry/credentials.js';
import { pushImage } from '../registry/push-image.js';
import { secretValues } from '../secrets.js';
import { fetchSources, type SourceCommit } from '../source/fetch-sources.js';
import type { Store } from '../store/store.js';
import type { ImageResultRecord, RunRecord } from '../store/types.js';
import { triageBuildFailures } from '../triage/triage-failures.js';
import { pullBaseImages } from './pull-base-images.js';
import { newRunRecord, timestampTag } from './tags.js';

export interface RebuildOptions {
  settings: Settings;
  env: DrydockEnv;
  pool: EnginePool;
  store: Store;
  logger: Logger;
  /** Image names to build; all discovered images when empty. */
  images?: string[];
  /** False for `--no-push`. Without a staging registry nothing is pushed either way. */
  push: boolean;
  trigger: string;
  triggeredBy?: string;
  signal: AbortSignal;
  onImageChange?: (result: ImageResultRecord, progress: { done: number; total: number }) => void;
  clock?: () => Date;
  pushRetryDelayMs?: number;
}

export interface RebuildResult {
  run: RunRecord;
  images: ImageResultRecord[];
  source: SourceCommit | undefined;
}

const SETTLED = new Set(['succeeded', 'failed', 'skipped', 'cancelled']);
/** An image whose engine fails is tried on one more engine, then reported. */
const MAX_ENGINE_ATTEMPTS = 2;

/**
 * Runs the rebuild pipeline: fetch the sources, discover the images, then
 * build, tag and push each one, parents before children. A failing image is
 * recorded and the others go on; errors that stop the whole run (a bad
 * config, an engine that is down) are recorded on the run and rethrown.
 */
export async function runRebuild(options: RebuildOptions): Promise<RebuildResult> {
  const { settings, store, logger } = options;
  const clock = options.clock ?? (() => new Date());
  const startedAt = clock();
  const run = newRunRecord('rebuild', startedAt, { trigger: options.trigger, triggeredBy: options.triggeredBy, repo: settings.source.repo });
  store.insertRun(run);
  const runLogger = logger.child({ runId: run.id });
  runLogger.info({ kind: run.kind, trigger: run.trigger }, 'run started');

  let source: SourceCommit | undefined;
  let catalog: CatalogImage[];
  try {
    source = await fetchSources({ repo: settings.source.repo, ref: settings.source.ref, stateDir: settings.stateDir }, runLogger);
    Object.assign(run, {
      commitHash: source.hash,
      shortCommit: source.shortHash,
      commitSubject: source.subject,
      commitAuthor: source.author,
      committedAt: source.committedAt,
    });
    store.updateRun(run.id, run);
    const resolved = discoverCatalog(settings, source.dir, { selected: options.images });
    for (const skipped of resolved.skipped) runLogger.info({ service: skipped.service, file: skipped.file, reason: skipped.reason }, 'Compose service skipped');
    if (resolved.unsetVariables.length > 0) {
      runLogger.warn({ variables: resolved.unsetVariables, file: settings.images.compose }, 'Compose variables not set; they were replaced with empty strings');
    }
    catalog = resolved.images;
    if (catalog.length === 0) {
      const { discover, compose, list } = settings.images;
      let where = `images.discover = ${JSON.stringify(discover ?? 'docker/Dockerfile.*')}`;
      if (list) where = 'images.list';
      if (compose) where = `images.compose = ${JSON.stringify(compose)}`;
      throw new ConfigError(`no images found in ${settings.source.repo} by ${where}`, {
        fix: 'point images.discover at the CI Dockerfiles (such as "ci/*.dockerfile"), or set images.compose or images.list',
      });
    }
    await ensureSomeEngineUp(options.pool);
  } catch (error) {
    finishRun(run, 'failed', clock(), store, describeError(error));
    // The caller reports the rethrown error; the process log keeps it at warn.
    runLogger.warn({ err: error }, 'run failed before any build');
    throw error;
  }

  const context: ImageContext = {
    options,
    run,
    source,
    catalog,
    tag: timestampTag(startedAt, source.shortHash),
    logDir: path.join(settings.stateDir, 'logs', run.id),
    logger: runLogger,
    clock,
    builtOn: new Map(),
    parentsOfOthers: new Set(catalog.flatMap((image) => image.parents)),
    heldSlots: [],
    schedulingEnded: false,
    job: options.pool.newJob(),
  };
  const results = await buildAll(context);
  // Failures are fingerprinted before the run is marked finished, so a report of the finished run includes them.
  await triageBuildFailures({ settings, env: options.env, store, logger: runLogger, run, sourceDir: source.dir, catalog, results: [...results.values()] });

  let status: RunRecord['status'] = 'failed';
  if ([...results.values()].every((result) => result.status === 'succeeded')) status = 'succeeded';
  if (options.signal.aborted) status = 'cancelled';
  finishRun(run, status, clock(), store, null);
  runLogger.info({ status: run.status }, 'run finished');
  return { run, images: catalog.map((image) => results.get(image.name)!), source };
}

interface ImageContext {
  options: RebuildOptions;
  run: RunRecord;
  source: SourceCommit;
  catalog: CatalogImage[];
  tag: string;
  logDir: string;
  logger: Logger;
  clock: () => Date;
  /** The engine and image id of each image this run built, for copying parents to their children's engines. */
  builtOn: Map<string, { engine: PoolEngine; imageId: string }>;
  /** Names of the images that another image of the catalog builds FROM. */
  parentsOfOthers: Set<string>;
  /** Slots of parents that succeeded, released only once their children have requested slots. */
  heldSlots: EngineLease[];
  /** Set when the scheduling loop has returned or thrown, so no slot is kept any longer. */
  schedulingEnded: boolean;
  /** The pool's number for this run, so its images are ranked among themselves, not against other runs. */
  job: number;
}

/**
 * Builds every image as soon as its parents settle. The engine pool bounds
 * how many run at once. Images on the longest expected chain of builds
 * request a slot first and are served first. A parent's slot is released only
 * after its children have requested slots, so a child can build on its
 * parent's engine without copying the parent.
 */
async function buildAll(context: ImageContext): Promise<Map<string, ImageResultRecord>> {
  const { catalog, options } = context;
  const results = new Map<string, ImageResultRecord>();
  const report = (result: ImageResultRecord) => {
    results.set(result.image, result);
    options.store.saveImageResult(result);
    const done = [...results.values()].filter((entry) => SETTLED.has(entry.status)).length;
    options.onImageChange?.(result, { done, total: catalog.length });
  };
  for (const image of catalog) report(emptyResult(context.run.id, image.name, 'pending'));

  try {
    await scheduleImages(context, results, report);
  } finally {
    // Slots kept for children go back to the pool even when the loop throws, because the bot reuses its pool.
    context.schedulingEnded = true;
    for (const lease of context.heldSlots.splice(0)) lease.release();
  }
  return results;
}

/** Starts each pending image once its parents settle, until every image has settled. */
async function scheduleImages(context: ImageContext, results: Map<string, ImageResultRecord>, report: (result: ImageResultRecord) => void): Promise<void> {
  const { catalog, options } = context;
  const ranks = criticalPathRanks(catalog, options.store.lastSucceededDurations(catalog.map((image) => image.name)));
  const pending = [...catalog].sort((a, b) => ranks.get(b.name)! - ranks.get(a.name)!);
  const running = new Map<string, Promise<void>>();
  while (pending.length > 0 || running.size > 0) {
    for (const image of [...pending]) {
      const parents = image.parents.map((name) => results.get(name)!);
      if (parents.some((parent) => !SETTLED.has(parent.status))) continue;

      pending.splice(pending.indexOf(image), 1);
      const blocked = parents.find((parent) => parent.status !== 'succeeded');
      if (options.signal.aborted) {
        report({ ...emptyResult(context.run.id, image.name, 'cancelled'), cause: 'cancelled', error: 'run cancelled before this image started' });
      } else if (blocked) {
        report({
          ...emptyResult(context.run.id, image.name, 'skipped'),
          cause: 'parent',
          error: `skipped because its parent image ${blocked.image} ${blocked.status === 'skipped' ? 'was skipped' : blocked.status}`,
        });
      } else {
        running.set(image.name, processImage(context, image, ranks.get(image.name)!, report).finally(() => running.delete(image.name)));
      }
    }
    await releaseHeldSlots(context);
    if (running.size > 0) await Promise.race(running.values());
  }
}

/**
 * Releases the slots that parents kept. The children started just before
 * request their slots a few promise steps later, so the release waits for the
 * next turn of the event loop, and the pool then serves the children first.
 */
async function releaseHeldSlots(context: ImageContext): Promise<void> {
  if (context.heldSlots.length === 0) return;
  await new Promise((resolve) => setImmediate(resolve));
  for (const lease of context.heldSlots.splice(0)) lease.release();
}

/**
 * Ranks each image by the expected time from its start to the end of its
 * longest chain of descendants, so work on the critical path starts first.
 * An image without a successful build on record counts as the mean of those
 * with one (1 ms when none has).
 */
export function criticalPathRanks(catalog: CatalogImage[], expected: Map<string, number>): Map<string, number> {
  const known = [...expected.values()];
  const fallback = known.length > 0 ? known.reduce((sum, value) => sum + value, 0) / known.length : 1;
  const children = new Map<string, string[]>();
  for (const image of catalog) {
    for (const parent of image.parents) children.set(parent, [...(children.get(parent) ?? []), image.name]);
  }

  const ranks = new Map<string, number>();
  const rankOf = (name: string): number => {
    const ranked = ranks.get(name);
    if (ranked !== undefined) return ranked;
    const longestAfter = Math.max(0, ...(children.get(name) ?? []).map(rankOf));
    const rank = (expected.get(name) ?? fallback) + longestAfter;
    ranks.set(name, rank);
    return rank;
  };
  for (const image of catalog) rankOf(image.name);
  return ranks;
}

/**
 * Takes one image through its engine slot: pull the bases, bring the parents
 * over, build, tag and push. When the engine itself fails, the engine is
 * marked down and the image is tried once more on another suitable engine.
 */
async function processImage(context: ImageContext, image: CatalogImage, priority: number, report: (result: ImageResultRecord) => void): Promise<void> {
  const { options, run, source } = context;
  const logger = context.logger.child({ image: image.name });
  // Reset when the first engine slot is granted, so the duration leaves out the wait for a slot.
  let started = context.clock();
  const repository = repositoryFor(image.name, options.settings.registry.staging);
  const log = new LogFile(path.join(context.logDir, `${image.name}.build.log`), { secrets: secretValues() });
  const result: ImageResultRecord = {
    ...emptyResult(run.id, image.name, 'running'),
    tags: [`${repository}:latest`, `${repository}:${context.tag}`],
    logPath: log.path,
    startedAt: started.toISOString(),
  };
  const finish = (fields: Partial<ImageResultRecord>) => {
    const finished = context.clock();
    Object.assign(result, fields, { finishedAt: finished.toISOString(), durationMs: finished.getTime() - started.getTime() });
    report({ ...result });
  };

  const requirements = { platform: image.platform, labels: image.labels };
  const failedEngines: string[] = [];
  try {
    for (let attempt = 1; ; attempt++) {
      const lease = await options.pool.acquire(requirements, {
        prefer: image.parents.map((parent) => context.builtOn.get(parent)?.engine.name).filter((name): name is string => name !== undefined),
        exclude: failedEngines,
        signal: options.signal,
        job: context.job,
        priority,
      });
      if (attempt === 1) {
        started = context.clock();
        result.startedAt = started.toISOString();
      }
      result.engine = lease.engine.name;
      report({ ...result });
      await log.note(`run ${run.id}: building ${image.name} from ${source.hash} (${source.subject}) on engine ${lease.engine.name}`);
      logger.info({ engine: lease.engine.name, dockerfile: path.relative(source.dir, image.dockerfile) }, 'building image');
      let holding = true;
      const release = () => {
        if (!holding) return;
        holding = false;
        lease.release();
      };
      try {
        const built = await buildOnEngine(context, image, lease.engine, result.tags, log, logger);
        // The push needs no build slot, so the engine builds the next image while this one uploads.
        // A parent keeps its slot instead, so that its child can build on it next.
        if (!context.parentsOfOthers.has(image.name)) release();
        finish(built.push ? await pushFromEngine(context, lease.engine, result.tags, built.fields, log, logger) : built.fields);
        if (holding && result.status === 'succeeded' && !context.schedulingEnded) {
          holding = false;
          context.heldSlots.push(lease);
        }
        return;
      } catch (error) {
        if (!(error instanceof EngineFaultError) || attempt >= MAX_ENGINE_ATTEMPTS) throw error;
        options.pool.markDown(lease.engine, error.message);
        failedEngines.push(lease.engine.name);
        const note = `engine ${lease.engine.name} failed (${error.message}); retried on another engine`;
        result.notes = [...result.notes, note];
        await log.note(note);
        logger.warn({ engine: lease.engine.name, error: error.message }, 'engine failed; retrying the image on another engine');
      } finally {
        release();
      }
    }
  } catch (error) {
    if (options.signal.aborted) {
      finish({ status: 'cancelled', cause: 'cancelled', error: 'run cancelled' });
      return;
    }
    const where = result.engine ? `Docker engine ${result.engine}` : 'no Docker engine';
    finish({ status: 'failed', cause: 'engine', error: `${where}: ${describeError(error)}` });
    logger.error({ err: error, engine: result.engine }, 'engine error while building image');
  } finally {
    await log.note(`finished: ${result.status}${result.error ? ` (${result.error})` : ''}`).catch(() => undefined);
    await log.close();
  }
}

/**
 * Runs one build attempt of an image on one engine. Returns the fields of its
 * result, and whether the image still has to be pushed.
 */
async function buildOnEngine(
  context: ImageContext,
  image: CatalogImage,
  engine: PoolEngine,
  tags: string[],
  log: LogFile,
  logger: Logger,
): Promise<{ fields: Partial<ImageResultRecord>; push: boolean }> {
  const { options, run, source } = context;
  const { settings, signal } = options;
  const docker = engine.docker;

  const pulled = await pullBaseImages(docker, image.baseImages, { pull: settings.build.pull, env: options.env, log, signal });
  if (pulled.error) {
    const fields: Partial<ImageResultRecord> = {
      status: signal.aborted ? 'cancelled' : 'failed',
      cause: 'build',
      error: pulled.error,
      failedStep: pulled.failedStep ?? null,
      baseImages: pulled.digests,
    };
    return { fields, push: false };
  }
  await bringParents(context, image, engine, log);

  const built = await buildImage(docker, {
    image,
    tags,
    labels: {
      'org.opencontainers.image.revision': source.hash,
      'org.opencontainers.image.source': source.repo,
      'org.opencontainers.image.created': run.startedAt,
      'drydock.run-id': run.id,
      'drydock.image': image.name,
    },
    noCache: settings.build.noCache,
    network: settings.build.network,
    log,
    timeoutMs: image.timeoutMinutes * 60_000,
    signal,
  });
  if (!built.ok) {
    logger.warn({ failedStep: built.failedStep, error: built.error }, 'image build failed');
    const fields: Partial<ImageResultRecord> = {
      status: built.reason === 'cancelled' ? 'cancelled' : 'failed',
      cause: built.reason === 'failed' ? 'build' : built.reason,
      error: built.error,
      failedStep: built.failedStep ?? null,
      baseImages: pulled.digests,
    };
    return { fields, push: false };
  }
  context.builtOn.set(image.name, { engine, imageId: built.imageId });
  logger.info({ imageId: built.imageId, sizeBytes: built.sizeBytes, engine: engine.name }, 'image built');
  const builtFields = { imageId: built.imageId, sizeBytes: built.sizeBytes, baseImages: pulled.digests };

  const staging = settings.registry.staging;
  if (!options.push || staging === undefined) {
    await log.note(staging === undefined ? 'not pushed: no staging registry is configured' : 'not pushed: --no-push');
    return { fields: { ...builtFields, status: 'succeeded' }, push: false };
  }
  return { fields: builtFields, push: true };
}

/** Pushes a built image's tags from `engine` and returns the fields of its result. */
async function pushFromEngine(
  context: ImageContext,
  engine: PoolEngine,
  tags: string[],
  builtFields: Partial<ImageResultRecord>,
  log: LogFile,
  logger: Logger,
): Promise<Partial<ImageResultRecord>> {
  const { options } = context;
  const { settings, signal } = options;
  const docker = engine.docker;
  const registryHost = registryHostOf(tags[0]!);
  const pushed = await pushImage(docker, {
    references: tags,
    auth: findRegistryAuth(registryHost, options.env),
    retries: settings.registry.pushRetries,
    log,
    signal,
    retryDelayMs: options.pushRetryDelayMs,
  });
  if (!pushed.ok) {
    logger.warn({ registry: registryHost, error: pushed.error }, 'image push failed');
    return {
      ...builtFields,
      status: pushed.cancelled ? 'cancelled' : 'failed',
      cause: pushed.cancelled ? 'cancelled' : 'registry',
      error: `push to ${registryHost} failed: ${pushed.error}`,
    };
  }
  logger.info({ digest: pushed.digest }, 'image pushed');
  return { ...builtFields, status: 'succeeded', digest: pushed.digest };
}

/**
 * Makes this run's parents available on `engine` under the references the
 * image's Dockerfile names, copying them over from the engine that built them.
 */
async function bringParents(context: ImageContext, image: CatalogImage, engine: PoolEngine, log: LogFile): Promise<void> {
  const copied = new Set<string>();
  for (const { reference, parent } of image.parentReferences) {
    const built = context.builtOn.get(parent);
    if (!built) continue;

    if (built.engine !== engine && !copied.has(built.imageId)) {
      await log.note(`copying parent ${parent} from engine ${built.engine.name} to ${engine.name}`);
      await transferImage(built.engine.docker, engine.docker, built.imageId, context.options.signal);
      copied.add(built.imageId);
    }
    // A reference pinned by digest names one exact image, which this build cannot be.
    if (reference.includes('@')) continue;
    const { repository, tag } = splitReference(reference);
    await engine.docker.getImage(built.imageId).tag({ repo: repository, tag });
  }
}

/** Fails the run early when no engine of the pool responds, naming each engine's problem. */
export async function ensureSomeEngineUp(pool: EnginePool): Promise<void> {
  if ((await pool.checkAll()).length > 0) return;

  const [only] = pool.engines;
  if (pool.engines.length === 1 && only) {
    throw new ExternalHostError(only.host, `Docker engine at ${only.host} is unreachable: ${only.downReason}`, {
      fix: only.name === 'default' ? 'start the Docker engine, or set DOCKER_HOST to the address of a running one' : `start it, or correct engines[0].host in drydock.yml`,
    });
  }
  const reasons = pool.engines.map((engine) => `${engine.name} (${engine.host}): ${engine.downReason}`).join('; ');
  throw new ExternalHostError('engines', `no Docker engine is reachable: ${reasons}`, { fix: 'start the engines listed under engines: in drydock.yml' });
}

function emptyResult(runId: string, image: string, status: ImageResultRecord['status']): ImageResultRecord {
  return {
    runId,
    image,
    status,
    engine: null,
    notes: [],
    tags: [],
    digest: null,
    imageId: null,
    sizeBytes: null,
    durationMs: null,
    logPath: null,
    failedStep: null,
    error: null,
    cause: null,
    baseImages: {},
    startedAt: null,
    finishedAt: null,
  };
}

function finishRun(run: RunRecord, status: RunRecord['status'], at: Date, store: Store, error: string | null): void {
  run.status = status;
  run.finishedAt = at.toISOString();
  run.error = error;
  store.finishRun(run.id, status, run.finishedAt, error);
}
