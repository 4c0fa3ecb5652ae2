import { userInfo } from 'node:os';
import path from 'node:path';
import { readEnv } from '../config/env.js';
import { loadSettings } from '../config/load-config.js';
import { connectEngine } from '../engine/connect-engine.js';
import { createLogger } from '../logger.js';
import { promote, type PromotionResult } from '../promote/promote.js';
import { Store } from '../store/store.js';

export interface PromoteFlags {
  config?: string;
  stateDir?: string;
  tag: string;
  as?: string;
  force?: boolean;
  dryRun?: boolean;
  json?: boolean;
}

/** Exit status of a refused promotion: the same as a usage error, because the request needs --force or another tag. */
const EXIT_REFUSED = 2;

export async function runPromoteCommand(image: string, flags: PromoteFlags): Promise<number> {
  const env = readEnv();
  const settings = loadSettings({ config: flags.config, stateDir: flags.stateDir }, env);
  const logger = createLogger(process.env.DRYDOCK_LOG_LEVEL || 'error');
  const store = Store.open(path.join(settings.stateDir, 'drydock.db'));
  try {
    const result = await promote(
      { settings, env, store, logger, connectEngine: () => connectEngine(env) },
      {
        image,
        tag: flags.tag,
        as: flags.as,
        force: flags.force ?? false,
        dryRun: flags.dryRun ?? false,
        requestedBy: process.env.USER ?? userInfo().username,
        trigger: 'cli',
      },
    );
    if (flags.json) process.stdout.write(`${JSON.stringify(toPromotionJson(result), null, 2)}\n`);
    process.stderr.write(formatPromotion(result));
    if (result.outcome === 'refused') return EXIT_REFUSED;
    if (result.outcome === 'failed' || result.pullRequest.status === 'failed') return 1;
    return 0;
  } finally {
    store.close();
  }
}

/** The `--json` output of promote. */
export function toPromotionJson(result: PromotionResult) {
  const { plan } = result;
  return {
    outcome: result.outcome,
    image: plan.image,
    staging: plan.stagingReference,
    digest: plan.digest,
    mediaType: plan.mediaType,
    platforms: plan.platforms,
    production: plan.productionTags.map((tag) => `${plan.productionRepository}:${tag}`),
    current: plan.current.map((state) => ({ reference: state.reference, digest: state.digest ?? null })),
    build: plan.build ?? null,
    validation: plan.validation ?? null,
    checks: plan.checks,
    forced: result.forced,
    overridden: result.overridden,
    method: result.method,
    statistics: result.statistics ?? null,
    error: result.error ?? null,
    pullRequest: result.pullRequest,
    promotionId: result.recordId ?? null,
  };
}

export function formatPromotion(result: PromotionResult): string {
  const { plan } = result;
  const lines = [`${plan.stagingReference} is ${plan.digest}${plan.platforms.length > 0 ? ` (${plan.platforms.join(', ')})` : ''}`];
  for (const check of plan.checks) lines.push(`  ${check.passed ? '✓' : '✗'} ${check.name}: ${check.detail}`);

  if (result.outcome === 'refused') {
    lines.push(`refused: ${result.error}`);
    return `${lines.join('\n')}\n`;
  }
  for (const state of plan.current) {
    const change = state.digest === plan.digest ? 'already points to it' : `${state.digest ?? 'does not exist'} → ${plan.digest}`;
    lines.push(`  ${state.reference}: ${change}`);
  }
  if (result.forced && result.overridden.length > 0) lines.push(`forced past ${result.overridden.length} failed check(s); the store records the override`);

  if (result.outcome === 'dry-run') {
    lines.push('dry run: nothing was changed');
    if (result.pullRequest.status === 'planned') lines.push(`  ${result.pullRequest.description}`);
    return `${lines.join('\n')}\n`;
  }
  if (result.outcome === 'failed') {
    lines.push(`promotion failed: ${result.error}`);
    return `${lines.join('\n')}\n`;
  }

  const statistics = result.statistics;
  lines.push(
    `promoted ${plan.image} by ${result.method}${statistics ? ` (${statistics.copied} blobs copied, ${statistics.mounted} mounted, ${statistics.present} already present)` : ''}`,
  );
  const pullRequest = result.pullRequest;
  if (pullRequest.status === 'done') lines.push(`tag-bump pull request ${pullRequest.outcome.action}: ${pullRequest.outcome.url}`);
  if (pullRequest.status === 'failed') lines.push(`tag-bump pull request failed: ${pullRequest.error}`);
  return `${lines.join('\n')}\n`;
}
