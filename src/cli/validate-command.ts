import { readEnv } from '../config/env.js';
import { loadSettings } from '../config/load-config.js';
import { createLogger } from '../logger.js';
import { runValidate, type ValidateResult } from '../pipeline/validate.js';
import type { ValidateImageRecord } from '../store/validate-types.js';
import { formatImageLines, toImageJson, toRunJson } from '../validate/summary.js';
import { parseImageNames } from './image-list.js';
import { describeRecovered, openPipelineSession } from './pipeline-session.js';
import { cancelOnSignals } from './signals.js';

export interface ValidateFlags {
  config?: string;
  stateDir?: string;
  images?: string;
  tag?: string;
  run?: string;
  json?: boolean;
}

export async function runValidateCommand(flags: ValidateFlags): Promise<number> {
  const env = readEnv();
  const settings = loadSettings({ config: flags.config, stateDir: flags.stateDir }, env);
  const images = parseImageNames(flags.images);
  const logger = createLogger(process.env.DRYDOCK_LOG_LEVEL || 'error');
  const session = await openPipelineSession(settings, env, logger, 'drydock validate');
  for (const line of describeRecovered(session.recovered)) process.stderr.write(`${line}\n`);
  const cancellation = cancelOnSignals((signal) => process.stderr.write(`\n${signal} received: stopping the test containers.\n`));
  try {
    const result = await runValidate({
      settings,
      env,
      pool: session.pool,
      store: session.store,
      logger,
      rebuildRunId: flags.run,
      tag: flags.tag,
      images,
      trigger: 'cli',
      triggeredBy: process.env.USER,
      signal: cancellation.signal,
      onImageChange: (record, progress) => {
        if (record.status !== 'pending') process.stderr.write(`${formatProgress(record, progress)}\n`);
      },
    });
    if (flags.json) process.stdout.write(`${JSON.stringify(toValidateJson(result), null, 2)}\n`);
    else process.stderr.write(formatValidateSummary(result));
    return result.run.status === 'succeeded' ? 0 : 1;
  } finally {
    cancellation.dispose();
    await session.close();
  }
}

/** Builds the `--json` output of validate: the run, the rebuild it tested, then one entry per image. */
export function toValidateJson(result: ValidateResult) {
  return {
    run: toRunJson(result.run, { rebuildRunId: result.rebuildRun.id }),
    images: result.images.map(toImageJson),
  };
}

export function formatValidateSummary(result: ValidateResult): string {
  const { run, rebuildRun } = result;
  const lines = [`\nvalidate run ${run.id} ${run.status}: images of rebuild run ${rebuildRun.id} at commit ${run.shortCommit}`];
  for (const image of result.images) lines.push(...formatImageLines(image));
  return `${lines.join('\n')}\n`;
}

function formatProgress(record: ValidateImageRecord, progress: { done: number; total: number }): string {
  const seconds = record.durationMs === null ? '' : ` in ${(record.durationMs / 1000).toFixed(1)} s`;
  return `[${progress.done}/${progress.total}] ${record.image} ${record.status}${seconds}${record.error ? `: ${record.error}` : ''}`;
}
