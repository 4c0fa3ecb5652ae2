import type { DrydockEnv } from '../config/env.js';
import type { Settings } from '../config/load-config.js';
import { connectEngine } from '../engine/connect-engine.js';
import type { EnginePool } from '../engine/engine-pool.js';
import type { Logger } from '../logger.js';
import { runNightly } from '../pipeline/nightly.js';
import { runRebuild, type RebuildResult } from '../pipeline/rebuild.js';
import type { Store } from '../store/store.js';
import type { Job, JobResult } from './job.js';
import type { PipelineRunner } from './run-queue.js';

export interface PipelineDependencies {
  settings: Settings;
  env: DrydockEnv;
  pool: EnginePool;
  store: Store;
  logger: Logger;
  clock?: () => Date;
}

/**
 * Creates the runner the bot's queue calls: the nightly pipeline (rebuild,
 * then validate) for the schedule, and a rebuild for `/rebuild`.
 */
export function createPipelineRunner(dependencies: PipelineDependencies): PipelineRunner {
  return async (job, hooks) => {
    if (job.kind === 'nightly') {
      // NOTE: test containers run on DOCKER_HOST, as in drydock nightly; an image built on another engine must have been pushed.
      const nightly = await runNightly({
        settings: dependencies.settings,
        env: dependencies.env,
        pool: dependencies.pool,
        engine: connectEngine(dependencies.env),
        store: dependencies.store,
        logger: dependencies.logger,
        trigger: 'nightly',
        signal: hooks.signal,
        onBuildChange: hooks.onImageChange,
        clock: dependencies.clock,
      });
      return { ...toJobResult(nightly.rebuild), status: nightly.run.status === 'running' ? 'failed' : nightly.run.status };
    }
    // TODO: run /validate through the validate pipeline; until it is wired here the command reports that it is unavailable.
    if (job.kind === 'validate') throw new Error('validating from Discord needs the validate pipeline, which this build does not have yet');

    const result = await runRebuild({
      settings: settingsFor(job, dependencies.settings),
      env: dependencies.env,
      pool: dependencies.pool,
      store: dependencies.store,
      logger: dependencies.logger,
      images: job.images,
      push: true,
      trigger: job.trigger === 'schedule' ? 'nightly' : job.trigger,
      triggeredBy: job.requestedBy ?? undefined,
      signal: hooks.signal,
      onImageChange: hooks.onImageChange,
      clock: dependencies.clock,
    });
    return toJobResult(result);
  };
}

/** The settings of one job: its ref and cache choice over the configured ones. */
function settingsFor(job: Job, settings: Settings): Settings {
  return {
    ...settings,
    source: { ...settings.source, ref: job.ref ?? settings.source.ref },
    build: { ...settings.build, noCache: job.noCache ?? settings.build.noCache },
  };
}

export function toJobResult({ run, images }: RebuildResult): JobResult {
  const tagged = images.find((image) => image.tags.length > 1)?.tags[1];
  return {
    runId: run.id,
    status: run.status,
    shortCommit: run.shortCommit,
    commitSubject: run.commitSubject,
    repo: run.repo,
    startedAt: run.startedAt,
    finishedAt: run.finishedAt,
    images,
    tag: tagged ? tagged.slice(tagged.lastIndexOf(':') + 1) : null,
  };
}
