import path from 'node:path';
import type Docker from 'dockerode';
import { buildImage } from '../build/build-image.js';
import { LogFile } from '../build/log-file.js';
import { discoverImages, type CatalogImage } from '../catalog/discover-images.js';
import { repositoryFor, splitReference } from '../catalog/image-reference.js';
import type { DrydockEnv } from '../config/env.js';
import type { Settings } from '../config/load-config.js';
import { pingEngine, type Engine } from '../engine/connect-engine.js';
import { describeError } from '../errors.js';
import type { Logger } from '../logger.js';
import { findRegistryAuth, registryHostOf } from '../registry/credentials.js';
import { pushImage } from '../registry/push-image.js';
import { secretValues } from '../secrets.js';
import { fetchSources, type SourceCommit } from '../source/fetch-sources.js';
import type { Store } from '../store/store.js';
import type { ImageResultRecord, RunRecord } from '../store/types.js';
import { pullBaseImages } from './pull-base-images.js';
import { createRunId, timestampTag } from './tags.js';

export interface RebuildOptions {
  settings: Settings;
  env: DrydockEnv;
  engine: Engine;
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
  const run: RunRecord = {
    id: createRunId(startedAt),
    kind: 'rebuild',
    trigger: options.trigger,
    triggeredBy: options.triggeredBy ?? null,
    status: 'running',
    repo: settings.source.repo,
    commitHash: null,
    shortCommit: null,
    commitSubject: null,
    commitAuthor: null,
    committedAt: null,
    startedAt: startedAt.toISOString(),
    finishedAt: null,
    error: null,
  };
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
    catalog = discoverImages(settings, source.dir, options.images);
    await pingEngine(options.engine);
  } catch (error) {
    finishRun(run, 'failed', clock(), store, describeError(error));
    runLogger.error({ err: error }, 'run failed before any build');
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
  };
  const results = await buildAll(context);

  const cancelled = options.signal.aborted;
  const allGood = [...results.values()].every((result) => result.status === 'succeeded');
  finishRun(run, cancelled ? 'cancelled' : allGood ? 'succeeded' : 'failed', clock(), store, null);
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
}

/** Builds every image, up to `build.concurrency` at once, each after its parents settle. */
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

  const running = new Map<string, Promise<void>>();
  const pending = [...catalog];
  while (pending.length > 0 || running.size > 0) {
    for (const image of [...pending]) {
      if (running.size >= options.settings.build.concurrency) break;
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
        running.set(image.name, processImage(context, image, report).finally(() => running.delete(image.name)));
      }
    }
    if (running.size > 0) await Promise.race(running.values());
  }
  return results;
}

/** Pulls the bases of one image, builds, tags and pushes it, reporting each state change. */
async function processImage(context: ImageContext, image: CatalogImage, report: (result: ImageResultRecord) => void): Promise<void> {
  const { options, run, source } = context;
  const { settings, engine, signal } = options;
  const docker = engine.docker;
  const logger = context.logger.child({ image: image.name });
  const started = context.clock();
  const repository = repositoryFor(image.name, settings.registry.staging);
  const tags = [`${repository}:latest`, `${repository}:${context.tag}`];
  const log = new LogFile(path.join(context.logDir, `${image.name}.build.log`), { secrets: secretValues() });
  const result: ImageResultRecord = {
    ...emptyResult(run.id, image.name, 'running'),
    tags,
    logPath: log.path,
    startedAt: started.toISOString(),
  };
  report({ ...result });
  logger.info({ dockerfile: path.relative(source.dir, image.dockerfile) }, 'building image');

  const finish = (fields: Partial<ImageResultRecord>) => {
    const finished = context.clock();
    Object.assign(result, fields, { finishedAt: finished.toISOString(), durationMs: finished.getTime() - started.getTime() });
    report({ ...result });
  };

  try {
    await log.note(`run ${run.id}: building ${image.name} from ${source.hash} (${source.subject})`);
    const pulled = await pullBaseImages(docker, image.baseImages, { pull: settings.build.pull, env: options.env, log, signal });
    result.baseImages = pulled.digests;
    if (pulled.error) {
      finish({ status: signal.aborted ? 'cancelled' : 'failed', cause: 'build', error: pulled.error, failedStep: pulled.failedStep });
      return;
    }

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
      const status = built.reason === 'cancelled' ? 'cancelled' : 'failed';
      const cause = built.reason === 'failed' ? 'build' : built.reason;
      finish({ status, cause, error: built.error, failedStep: built.failedStep ?? null });
      logger.warn({ failedStep: built.failedStep, error: built.error }, 'image build failed');
      return;
    }
    Object.assign(result, { imageId: built.imageId, sizeBytes: built.sizeBytes });
    await tagForChildren(docker, context.catalog, image.name, built.imageId);
    logger.info({ imageId: built.imageId, sizeBytes: built.sizeBytes }, 'image built');

    const staging = settings.registry.staging;
    if (!options.push || staging === undefined) {
      await log.note(staging === undefined ? 'not pushed: no staging registry is configured' : 'not pushed: --no-push');
      finish({ status: 'succeeded' });
      return;
    }

    const pushed = await pushImage(docker, {
      references: tags,
      auth: findRegistryAuth(registryHostOf(repository), options.env),
      retries: settings.registry.pushRetries,
      log,
      signal,
      retryDelayMs: options.pushRetryDelayMs,
    });
    if (!pushed.ok) {
      const error = `push to ${registryHostOf(repository)} failed: ${pushed.error}`;
      finish({ status: pushed.cancelled ? 'cancelled' : 'failed', cause: pushed.cancelled ? 'cancelled' : 'registry', error });
      logger.warn({ registry: registryHostOf(repository), error: pushed.error }, 'image push failed');
      return;
    }
    logger.info({ digest: pushed.digest }, 'image pushed');
    finish({ status: 'succeeded', digest: pushed.digest });
  } catch (error) {
    finish({ status: 'failed', cause: 'engine', error: `Docker engine ${engine.host} failed: ${describeError(error)}` });
    logger.error({ err: error, engine: engine.host }, 'engine error while building image');
  } finally {
    await log.note(`finished: ${result.status}${result.error ? ` (${result.error})` : ''}`).catch(() => undefined);
    await log.close();
  }
}

/** Tags a new image with the exact references its children name in their FROM lines. */
async function tagForChildren(docker: Docker, catalog: CatalogImage[], parent: string, imageId: string): Promise<void> {
  const references = catalog.flatMap((child) => child.parentReferences).filter((entry) => entry.parent === parent);
  for (const { reference } of references) {
    // A reference pinned by digest names one exact image, which this build cannot be.
    if (reference.includes('@')) continue;
    const { repository, tag } = splitReference(reference);
    await docker.getImage(imageId).tag({ repo: repository, tag });
  }
}

function emptyResult(runId: string, image: string, status: ImageResultRecord['status']): ImageResultRecord {
  return {
    runId,
    image,
    status,
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
