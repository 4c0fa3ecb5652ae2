import path from 'node:path';
import { LogFile } from '../build/log-file.js';
import type { DrydockEnv } from '../config/env.js';
import type { Settings } from '../config/load-config.js';
import type { Engine } from '../engine/connect-engine.js';
import { describeError } from '../errors.js';
import type { Logger } from '../logger.js';
import { OutboxStore } from '../outbox/outbox-store.js';
import { secretValues } from '../secrets.js';
import type { Store } from '../store/store.js';
import { openBumpPullRequest, type BumpOutcome } from './bump-pull-request.js';
import { copyImageByDigest, type CopyStatistics } from './copy-image.js';
import { copyWithEngine } from './engine-copy.js';
import { planPromotion, type PromotionPlan, type PromotionRequest } from './plan.js';
import { PromotionStore } from './promotion-store.js';

export interface PromoteOptions extends PromotionRequest {
  dryRun: boolean;
  /** Who asked: a Discord user as `discord:<id> (<name>)`, or the local user name. */
  requestedBy: string;
  trigger: 'cli' | 'discord';
}

export interface PromoteDependencies {
  settings: Settings;
  env: DrydockEnv;
  store: Store;
  logger: Logger;
  /** Connects the engine; called only for `promote.method: engine`. */
  connectEngine: () => Engine;
  clock?: () => Date;
  signal?: AbortSignal;
  fetch?: typeof fetch;
}

export type PullRequestResult = { status: 'skipped'; reason: string } | { status: 'planned'; description: string } | { status: 'done'; outcome: BumpOutcome } | { status: 'failed'; error: string };

export interface PromotionResult {
  outcome: 'promoted' | 'refused' | 'failed' | 'dry-run';
  plan: PromotionPlan;
  forced: boolean;
  /** The failed checks that `--force` overrode. */
  overridden: string[];
  method: 'registry' | 'engine';
  statistics: CopyStatistics | undefined;
  error: string | undefined;
  pullRequest: PullRequestResult;
  /** Id of the promotions row; undefined for a dry run. */
  recordId: number | undefined;
}

/**
 * Promotes one staging tag to production: plans it, refuses it unless
 * drydock built and validated the digest (or `force` is set), copies the
 * digest, records who, when and what with an audit entry, posts to the
 * Discord channel through the outbox, and opens or updates the tag-bump
 * pull request. A dry run stops after the plan and writes nothing.
 */
export async function promote(dependencies: PromoteDependencies, options: PromoteOptions): Promise<PromotionResult> {
  const { settings, store, logger } = dependencies;
  const clock = dependencies.clock ?? (() => new Date());
  const method = settings.promote.method;
  const plan = await planPromotion(dependencies, options);
  const overridden = options.force ? plan.checks.filter((check) => !check.passed).map((check) => `${check.name}: ${check.detail}`) : [];
  const base = { plan, forced: options.force, overridden, method, statistics: undefined, error: undefined };
  const pullRequestConfig = settings.promote.pullRequest;

  if (plan.refusal !== undefined && !options.force) {
    const recordId = options.dryRun ? undefined : record(dependencies, options, plan, { outcome: 'refused', overridden, error: plan.refusal, method: null }, clock());
    logger.warn({ image: plan.image, digest: plan.digest, requestedBy: options.requestedBy }, 'promotion refused');
    return { ...base, outcome: 'refused', error: plan.refusal, pullRequest: { status: 'skipped', reason: 'the promotion was refused' }, recordId };
  }
  if (options.dryRun) {
    const pullRequest: PullRequestResult = pullRequestConfig
      ? { status: 'planned', description: `would bump ${plan.image} to ${plan.productionTags[0]} in ${pullRequestConfig.path} on branch ${pullRequestConfig.branch}` }
      : { status: 'skipped', reason: 'promote.pullRequest is not configured' };
    return { ...base, outcome: 'dry-run', pullRequest, recordId: undefined };
  }

  const startedAt = clock();
  const log = new LogFile(path.join(settings.stateDir, 'logs', 'promotions', `${startedAt.toISOString().replace(/[:.]/g, '-')}-${plan.image}.log`), { secrets: secretValues() });
  let statistics: CopyStatistics | undefined;
  try {
    await log.note(`promoting ${plan.stagingReference} (${plan.digest}) to ${plan.productionTags.map((tag) => `${plan.productionRepository}:${tag}`).join(', ')} by ${method}`);
    if (options.force && overridden.length > 0) await log.note(`forced by ${options.requestedBy}, overriding: ${overridden.join('; ')}`);
    if (method === 'registry') {
      statistics = await copyImageByDigest(plan.staging, plan.production, plan.manifest, plan.productionTags, (message) => void log.note(message));
    } else {
      await copyWithEngine(dependencies.connectEngine().docker, plan, { env: dependencies.env, log, signal: dependencies.signal ?? new AbortController().signal, retries: settings.registry.pushRetries });
    }
    await log.note('promoted; every production tag points to the staging digest');
  } catch (error) {
    const message = describeError(error);
    await log.note(`promotion failed: ${message}`);
    await log.close();
    const recordId = record(dependencies, options, plan, { outcome: 'failed', overridden, error: message, method }, clock());
    logger.error({ err: error, image: plan.image, digest: plan.digest }, 'promotion failed');
    return { ...base, outcome: 'failed', statistics, error: message, pullRequest: { status: 'skipped', reason: 'the promotion failed' }, recordId };
  }
  await log.close();

  const recordId = record(dependencies, options, plan, { outcome: 'promoted', overridden, error: null, method }, clock());
  logger.info({ image: plan.image, digest: plan.digest, tags: plan.productionTags, forced: options.force }, 'image promoted');
  postToChannel(dependencies, plan, options, overridden, clock());

  let pullRequest: PullRequestResult = { status: 'skipped', reason: 'promote.pullRequest is not configured' };
  if (pullRequestConfig) {
    try {
      const outcome = await openBumpPullRequest({ settings, env: dependencies.env, logger }, { image: plan.image, productionRepository: plan.productionRepository, tag: plan.productionTags[0]!, digest: plan.digest, requestedBy: options.requestedBy });
      new PromotionStore(store.db).setPullRequestUrl(recordId, outcome.url);
      pullRequest = { status: 'done', outcome };
    } catch (error) {
      logger.error({ err: error, image: plan.image }, 'tag-bump pull request failed');
      pullRequest = { status: 'failed', error: describeError(error) };
    }
  }
  return { ...base, outcome: 'promoted', statistics, pullRequest, recordId };
}

function record(
  dependencies: PromoteDependencies,
  options: PromoteOptions,
  plan: PromotionPlan,
  result: { outcome: 'promoted' | 'refused' | 'failed'; overridden: string[]; error: string | null; method: string | null },
  at: Date,
): number {
  const promotions = new PromotionStore(dependencies.store.db);
  const productionReferences = plan.productionTags.map((tag) => `${plan.productionRepository}:${tag}`);
  const id = promotions.insert({
    at: at.toISOString(),
    requestedBy: options.requestedBy,
    trigger: options.trigger,
    image: plan.image,
    stagingReference: plan.stagingReference,
    digest: plan.digest,
    productionReferences,
    rebuildRunId: plan.build?.runId ?? null,
    validateRunId: plan.validation?.runId ?? null,
    outcome: result.outcome,
    forced: options.force,
    overridden: result.overridden,
    method: result.method,
    error: result.error,
    pullRequestUrl: null,
  });
  promotions.addAuditEntry({
    at: at.toISOString(),
    actor: options.requestedBy,
    trigger: options.trigger,
    action: 'promote',
    subject: plan.stagingReference,
    outcome: result.outcome,
    details: { promotionId: id, digest: plan.digest, productionReferences, forced: options.force, overridden: result.overridden, error: result.error },
  });
  return id;
}

/** Queues a message for the Discord channel; `drydock bot` delivers it, also when the promotion ran from the command line. */
function postToChannel(dependencies: PromoteDependencies, plan: PromotionPlan, options: PromoteOptions, overridden: string[], at: Date): void {
  const discord = dependencies.settings.discord;
  if (!discord) return;
  const who = options.trigger === 'discord' ? `<@${options.requestedBy.replace(/^discord:(\d+).*$/, '$1')}>` : options.requestedBy;
  const lines = [
    `**Promoted ${plan.image}** by ${who}: \`${plan.stagingReference}\` → ${plan.productionTags.map((tag) => `\`${plan.productionRepository}:${tag}\``).join(', ')}`,
    `Digest \`${plan.digest}\`${plan.validation ? `, validated in run ${plan.validation.runId} (${plan.validation.status})` : ''}`,
    ...(overridden.length > 0 ? [`Forced past: ${overridden.join('; ')}`] : []),
  ];
  new OutboxStore(dependencies.store.db).add(
    { messageKey: `promotion:${plan.image}:${plan.digest}:${at.getTime()}`, action: 'create', channelId: discord.channelId, payload: { content: lines.join('\n').slice(0, 2000), allowed_mentions: { parse: [] } } },
    at,
  );
}
