import { readEnv } from '../config/env.js';
import { loadSettings } from '../config/load-config.js';
import { createLogger } from '../logger.js';
import { runNightly, type NightlyResult } from '../pipeline/nightly.js';
import { formatImageLines, toImageJson, toRunJson } from '../validate/summary.js';
import { toJsonSummary } from './rebuild-command.js';
import { describeRecovered, openPipelineSession } from './pipeline-session.js';
import { parseImageNames } from './image-list.js';
import { cancelOnSignals } from './signals.js';

export interface NightlyFlags {
  config?: string;
  repo?: string;
  ref?: string;
  registry?: string;
  images?: string;
  push?: boolean;
  stateDir?: string;
  json?: boolean;
}

export async function runNightlyCommand(flags: NightlyFlags): Promise<number> {
  const env = readEnv();
  const settings = loadSettings({ config: flags.config, repo: flags.repo, ref: flags.ref, registry: flags.registry, stateDir: flags.stateDir }, env);
  const logger = createLogger(process.env.DRYDOCK_LOG_LEVEL || 'error');
  if (settings.registry.staging === undefined) {
    process.stderr.write('No staging registry configured (registry.staging or --registry): images are built and tagged locally, not pushed.\n');
  } else if (flags.push === false) {
    process.stderr.write(`--no-push: images are built and tagged for ${settings.registry.staging}, not pushed.\n`);
  }
  const session = await openPipelineSession(settings, env, logger, 'drydock nightly');
  for (const line of describeRecovered(session.recovered)) process.stderr.write(`${line}\n`);
  const cancellation = cancelOnSignals((signal) => process.stderr.write(`\n${signal} received: cancelling the nightly run.\n`));
  try {
    const result = await runNightly({
      settings,
      env,
      pool: session.pool,
      store: session.store,
      images: parseImageNames(flags.images),
      push: flags.push !== false,
      logger,
      trigger: 'cli',
      triggeredBy: process.env.USER,
      signal: cancellation.signal,
      onBuildChange: (image, progress) => {
        if (image.status !== 'pending' && image.status !== 'running') process.stderr.write(`build [${progress.done}/${progress.total}] ${image.image} ${image.status}\n`);
      },
      onValidateChange: (record, progress) => {
        if (record.status !== 'pending' && record.status !== 'running') process.stderr.write(`validate [${progress.done}/${progress.total}] ${record.image} ${record.status}\n`);
      },
    });
    if (flags.json) process.stdout.write(`${JSON.stringify(toNightlyJson(result), null, 2)}\n`);
    else process.stderr.write(formatNightlySummary(result));
    return result.run.status === 'succeeded' ? 0 : 1;
  } finally {
    cancellation.dispose();
    await session.close();
  }
}

/** Builds the `--json` output of nightly: the nightly run, both runs it started, and each image's build and validate results. */
export function toNightlyJson({ run, rebuild, validate }: NightlyResult) {
  const builds = toJsonSummary(rebuild);
  const validations = new Map((validate?.images ?? []).map((image) => [image.record.image, toImageJson(image)]));
  return {
    run: toRunJson(run, { rebuildRunId: rebuild.run.id, validateRunId: validate?.run.id ?? null }),
    rebuild: builds.run,
    validate: validate ? toRunJson(validate.run) : null,
    images: builds.images.map((build) => ({ name: build.name, build, validate: validations.get(build.name) ?? null })),
  };
}

function formatNightlySummary({ run, rebuild, validate }: NightlyResult): string {
  const lines = [
    `\nnightly run ${run.id} ${run.status} at commit ${run.shortCommit ?? '(none)'}${run.error ? ` (${run.error})` : ''}`,
    `  rebuild run ${rebuild.run.id}: ${rebuild.run.status}`,
  ];
  for (const image of rebuild.images) lines.push(`    ${image.image}: ${image.status}${image.error ? ` (${image.error})` : ''}`);
  if (validate) {
    lines.push(`  validate run ${validate.run.id}: ${validate.run.status}`);
    for (const image of validate.images) lines.push(...formatImageLines(image).map((line) => `  ${line}`));
  }
  return `${lines.join('\n')}\n`;
}
