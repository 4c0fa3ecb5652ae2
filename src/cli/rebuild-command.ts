import { readEnv } from '../config/env.js';
import { loadSettings } from '../config/load-config.js';
import { ConfigError } from '../errors.js';
import { createLogger } from '../logger.js';
import { runRebuild, type RebuildResult } from '../pipeline/rebuild.js';
import type { ImageResultRecord } from '../store/types.js';
import { describeRecovered, openPipelineSession } from './pipeline-session.js';
import { cancelOnSignals } from './signals.js';

export interface RebuildFlags {
  config?: string;
  repo?: string;
  ref?: string;
  images?: string;
  registry?: string;
  stateDir?: string;
  push: boolean;
  json?: boolean;
}

export async function runRebuildCommand(flags: RebuildFlags): Promise<number> {
  const env = readEnv();
  const settings = loadSettings(flags, env);
  const images = parseImageList(flags.images);
  const logger = createLogger(process.env.DRYDOCK_LOG_LEVEL || 'error');

  if (settings.registry.staging === undefined) {
    process.stderr.write('No staging registry configured (registry.staging or --registry): images are built and tagged locally, not pushed.\n');
  } else if (!flags.push) {
    process.stderr.write(`--no-push: images are built and tagged for ${settings.registry.staging}, not pushed.\n`);
  }

  const session = await openPipelineSession(settings, env, logger, 'drydock rebuild');
  for (const line of describeRecovered(session.recovered)) process.stderr.write(`${line}\n`);
  const cancellation = cancelOnSignals((signal) => process.stderr.write(`\n${signal} received: cancelling the builds in flight.\n`));
  try {
    const result = await runRebuild({
      settings,
      env,
      pool: session.pool,
      store: session.store,
      logger,
      images,
      push: flags.push,
      trigger: 'cli',
      triggeredBy: process.env.USER,
      signal: cancellation.signal,
      onImageChange: (image, progress) => {
        if (image.status !== 'pending') process.stderr.write(`${formatProgress(image, progress)}\n`);
      },
    });
    if (flags.json) process.stdout.write(`${JSON.stringify(toJsonSummary(result), null, 2)}\n`);
    else process.stderr.write(formatSummary(result));
    return result.run.status === 'succeeded' ? 0 : 1;
  } finally {
    cancellation.dispose();
    await session.close();
  }
}

function parseImageList(value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  const names = value.split(',').map((name) => name.trim()).filter(Boolean);
  if (names.length === 0) {
    throw new ConfigError(`--images = ${JSON.stringify(value)} names no image`, { fix: 'give image names separated by commas, such as ci_cpu,ci_lint' });
  }
  return names;
}

function formatProgress(image: ImageResultRecord, progress: { done: number; total: number }): string {
  const counter = `[${progress.done}/${progress.total}]`;
  const seconds = image.durationMs === null ? '' : ` in ${(image.durationMs / 1000).toFixed(1)} s`;
  const engine = image.engine && image.status === 'running' ? ` on ${image.engine}` : '';
  const detail = [image.error, ...image.notes].filter(Boolean).join('; ');
  return `${counter} ${image.image} ${image.status}${engine}${seconds}${detail ? `: ${detail}` : ''}`;
}

/** Builds the `--json` summary: the run, then one entry per image. */
export function toJsonSummary({ run, images }: RebuildResult) {
  return {
    run: {
      id: run.id,
      kind: run.kind,
      status: run.status,
      commit: run.commitHash,
      shortCommit: run.shortCommit,
      startedAt: run.startedAt,
      finishedAt: run.finishedAt,
    },
    images: images.map((image) => ({
      name: image.image,
      status: image.status,
      engine: image.engine,
      notes: image.notes,
      tags: image.tags,
      digest: image.digest,
      durationMs: image.durationMs,
      log: image.logPath,
      failedStep: image.failedStep,
      error: image.error,
    })),
  };
}

function formatSummary({ run, images }: RebuildResult): string {
  const lines = [`\nrun ${run.id} ${run.status} at commit ${run.shortCommit} (${run.commitSubject ?? ''})`];
  for (const image of images) {
    lines.push(`  ${image.image}: ${image.status}${image.failedStep ? ` at "${image.failedStep}"` : ''}${image.error ? ` (${image.error})` : ''}`);
    if (image.logPath && image.status !== 'succeeded') lines.push(`    log: ${image.logPath}`);
  }
  const tagged = images.find((image) => image.tags.length > 1)?.tags[1];
  if (tagged) lines.push(`  tag: ${tagged.split(':').at(-1)}`);
  return `${lines.join('\n')}\n`;
}
