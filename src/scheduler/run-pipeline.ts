import type { DrydockEnv } from '../config/env.js';
import type { Settings } from '../config/load-config.js';
import type { EnginePool } from '../engine/engine-pool.js';
import type { Logger } from '../logger.js';
import { runNightly } from '../pipeline/nightly.js';
import { runRebuild, type RebuildResult } from '../pipeline/rebuild.js';
import { runValidate, type ValidateResult } from '../pipeline/validate.js';
import type { Store } from '../store/store.js';
import type { RunRecord } from '../store/types.js';
import type { Job, JobResult, ValidationOutcome } from './job.js';
import type { PipelineRunner } from './run-queue.js';

export interface PipelineDependencies {
  settings: Settings;
  env: DrydockEnv;
  pool: EnginePool;
  store: Store;
  logger: Logger;
  clock?: () => Date;
}

type Hooks = Parameters<PipelineRunner>[1];

/**
 * Creates the runner the bot's queue calls: the nightly pipeline (rebuild,
 * then validate) for the schedule, a rebuild for `/rebuild` (followed by a
 * validate when asked), and a validate for `/validate`.
 */
export function createPipelineRunner(dependencies: PipelineDependencies): PipelineRunner {
  return async (job, hooks) => {
    if (job.kind === 'nightly') {
      const nightly = await runNightly({
        settings: dependencies.settings,
        env: dependencies.env,
        pool: dependencies.pool,
        store: dependencies.store,
        logger: dependencies.logger,
        trigger: 'nightly',
        signal: hooks.signal,
        onBuildChange: hooks.onImageChange,
        onValidateChange: hooks.onValidationChange,
        clock: dependencies.clock,
      });
      return {
        ...toJobResult(nightly.rebuild),
        status: nightly.run.status === 'running' ? 'failed' : nightly.run.status,
        validation: nightly.validate ? toValidationOutcome(nightly.validate) : undefined,
      };
    }

    if (job.kind === 'validate') {
      const validate = await validateImages(job, hooks, dependencies, { tag: job.tag, images: job.images });
      return toValidateJobResult(validate, dependencies.store);
    }

    const rebuild = await runRebuild({
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
    const result = toJobResult(rebuild);
    const built = rebuild.images.filter((image) => image.status === 'succeeded').map((image) => image.image);
    if (!job.validate || built.length === 0 || hooks.signal.aborted) return result;

    const validate = await validateImages(job, hooks, dependencies, { rebuildRunId: rebuild.run.id, images: built });
    return { ...result, status: combineStatuses(rebuild.run.status, validate.run.status), validation: toValidationOutcome(validate) };
  };
}

function validateImages(
  job: Job,
  hooks: Hooks,
  dependencies: PipelineDependencies,
  choice: { rebuildRunId?: string; tag?: string; images?: string[] },
): Promise<ValidateResult> {
  return runValidate({
    settings: settingsFor(job, dependencies.settings),
    env: dependencies.env,
    pool: dependencies.pool,
    store: dependencies.store,
    logger: dependencies.logger,
    rebuildRunId: choice.rebuildRunId,
    tag: choice.tag,
    images: choice.images,
    trigger: job.trigger,
    triggeredBy: job.requestedBy ?? undefined,
    signal: hooks.signal,
    onImageChange: hooks.onValidationChange,
    clock: dependencies.clock,
  });
}

/** Returns the settings of one job: its ref and cache choice over the configured ones. */
function settingsFor(job: Job, settings: Settings): Settings {
  return {
    ...settings,
    source: { ...settings.source, ref: job.ref ?? settings.source.ref },
    build: { ...settings.build, noCache: job.noCache ?? settings.build.noCache },
  };
}

/** Combines run statuses: cancelled when either run was, and succeeded only when both were. */
function combineStatuses(...statuses: RunRecord['status'][]): JobResult['status'] {
  if (statuses.includes('cancelled')) return 'cancelled';
  return statuses.every((status) => status === 'succeeded') ? 'succeeded' : 'failed';
}

/** Builds a job's result from a run and the image builds it reports. */
export function toJobResult({ run, images }: Pick<RebuildResult, 'run' | 'images'>): JobResult {
  return {
    runId: run.id,
    status: run.status,
    shortCommit: run.shortCommit,
    commitSubject: run.commitSubject,
    repo: run.repo,
    startedAt: run.startedAt,
    finishedAt: run.finishedAt,
    images,
    tag: findRunTag(images),
  };
}

/** Builds a validate job's result: its validate run, with the builds it tested as the images. */
function toValidateJobResult(validate: ValidateResult, store: Store): JobResult {
  const tested = new Set(validate.images.map((image) => image.record.image));
  const builds = store.listImageResults(validate.rebuildRun.id).filter((image) => tested.has(image.image));
  return { ...toJobResult({ run: validate.run, images: builds }), validation: toValidationOutcome(validate) };
}

export function toValidationOutcome(validate: ValidateResult): ValidationOutcome {
  return {
    runId: validate.run.id,
    rebuildRunId: validate.rebuildRun.id,
    status: validate.run.status,
    images: validate.images.map(({ record, commands }) => {
      const failed = commands.filter((command) => command.status !== 'passed');
      const named = (classification: string | null) => failed.filter((command) => command.classification === classification).map((command) => command.command);
      return {
        record,
        regressions: named('image-regression'),
        sourceFailures: named('source-failure'),
        unclassified: failed.filter((command) => command.classification !== 'image-regression' && command.classification !== 'source-failure').map((command) => command.command),
      };
    }),
  };
}

/** Returns the run tag, such as 2025-01-10-05-00-00-abc1234, from the second tag of the first tagged image. */
function findRunTag(images: RebuildResult['images']): string | null {
  const tagged = images.find((image) => image.tags.length > 1)?.tags[1];
  return tagged ? tagged.slice(tagged.lastIndexOf(':') + 1) : null;
}
