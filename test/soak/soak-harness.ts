import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { readEnv } from '../../src/config/env.js';
import { loadSettings, type Settings } from '../../src/config/load-config.js';
import { DashboardLinks } from '../../src/dashboard/links.js';
import { buildDashboardMatrix } from '../../src/dashboard/matrix-model.js';
import { renderMatrixPng } from '../../src/dashboard/matrix-svg.js';
import { ChannelReporter } from '../../src/discord/channel-reporter.js';
import { OnCall } from '../../src/discord/oncall.js';
import { EnginePool } from '../../src/engine/engine-pool.js';
import { createSilentLogger } from '../../src/logger.js';
import { Outbox } from '../../src/outbox/outbox.js';
import { OutboxStore } from '../../src/outbox/outbox-store.js';
import { createOutboxRest, RestOutboxTransport } from '../../src/outbox/rest-transport.js';
import { CronSchedule } from '../../src/scheduler/cron-schedule.js';
import { NightlyScheduler } from '../../src/scheduler/nightly-scheduler.js';
import { createPipelineRunner } from '../../src/scheduler/run-pipeline.js';
import { RunQueue } from '../../src/scheduler/run-queue.js';
import { DashboardQueries } from '../../src/store/dashboard-queries.js';
import { Store } from '../../src/store/store.js';
import { FakeDiscord } from '../fakes/discord/fake-discord.js';
import { makeSnowflake } from '../fakes/discord/snowflake.js';
import { startFakeGitHub, type FakeGitHub } from '../fakes/github-server.js';
import { commitFiles, createGitRepo } from '../helpers/git-repo.js';
import { startFaultySocketProxy, type FaultySocketProxy } from '../helpers/faulty-socket-proxy.js';
import { createRandom, planNights, renderNightFiles, SOAK_IMAGES, type NightPlan } from './night-plan.js';
import { checkInvariants, type InvariantReport } from './soak-checks.js';
import { VirtualClock } from './virtual-clock.js';

const DOCKER_SOCKET = '/var/run/docker.sock';
const DISCORD_TOKEN = 'fake-bot-token-soak';
/** The outbox's first retry delay in the soak; the product default is 1 s, and the backoff logic is the same. */
const OUTBOX_FIRST_RETRY_MS = 100;
const OUTBOX_MAX_RETRY_MS = 2_000;
/** Real time each night's outbox flush may take before the night counts as not flushed. */
const NIGHT_FLUSH_MS = 60_000;
/** Real time the final flush may take. */
const FINAL_FLUSH_MS = 120_000;
/** A connection the engine proxy cuts is cut at most this long after it opened. */
const MAX_ENGINE_DROP_DELAY_MS = 3_000;
/** On an engine fault night, open connections are cut this long after the night starts, at most; a night's builds take a few seconds. */
const MAX_NIGHT_CUT_DELAY_MS = 6_000;

export interface SoakOptions {
  nights: number;
  seed: number;
  /** No night starts after this much real time; the run then stops early and reports it in `stoppedByTimeLimit`. */
  timeLimitMs: number;
  /** Receives one line per night. */
  log?: (line: string) => void;
  /** Forces a garbage collection before each memory sample, when node runs with --expose-gc. */
  gc?: () => void;
}

export interface MemorySample {
  night: number;
  heapUsedBytes: number;
  rssBytes: number;
}

/** Faults injected, by kind. Discord and GitHub faults wait in their fake until a request matches them. */
export interface FaultCounts {
  discord5xx: number;
  discordLostResponse: number;
  discord429: number;
  discordGlobal429: number;
  /** The bot stopped with notifications undelivered, and a new outbox took over on the same store next night. */
  botRestart: number;
  github5xx: number;
  githubStoredThen502: number;
  github429: number;
  /** Nights on which the proxied engine cut connections. */
  engineFaultNights: number;
  /** Connections the engine proxy cut. */
  engineDrops: number;
}

export interface SoakReport extends InvariantReport {
  seed: number;
  nightsPlanned: number;
  nightsRun: number;
  stoppedByTimeLimit: boolean;
  durationMs: number;
  faults: FaultCounts;
  /** Discord requests the fake responded to with 429 or 5xx, so the outbox had to try again. */
  discordErrorResponses: number;
  /** GitHub requests the fake responded to with 429 or 5xx, so the tracker had to try again. */
  githubErrorResponses: number;
  engineConnections: number;
  /** Images the pipeline moved to the other engine after an engine fault. */
  engineRetries: number;
  memory: MemorySample[];
  /** Nights whose outbox was not empty when its flush deadline passed, with the items still pending. */
  unflushedNights: string[];
}

interface Service {
  queue: RunQueue;
  outbox: Outbox;
  scheduler: NightlyScheduler;
}

/**
 * Runs simulated nightly runs through the real scheduler, run queue,
 * nightly pipeline, triage, GitHub filing, channel reporter and outbox,
 * against the real Docker engine, a strict fake Discord and a strict fake
 * GitHub on 127.0.0.1, with faults injected at random from `seed`. Returns
 * the figures and the invariant checks; it asserts nothing itself.
 */
export async function runSoak(options: SoakOptions): Promise<SoakReport> {
  const started = Date.now();
  const random = createRandom(options.seed);
  const log = options.log ?? (() => undefined);
  const plans = planNights(options.nights, random);

  const discord = await FakeDiscord.start();
  const github = await startFakeGitHub();
  const proxy = await startFaultySocketProxy(DOCKER_SOCKET, random, MAX_ENGINE_DROP_DELAY_MS);
  const workDir = mkdtempSync(path.join(tmpdir(), 'drydock-soak-'));
  const repo = createGitRepo(renderNightFiles(plans[0] ?? { night: 0, beta: 'ok', gamma: 'ok' }), 'Soak fixture');
  const clock = new VirtualClock(new Date(Date.UTC(2030, 0, 1, 4, 0, 0)));

  const faults: FaultCounts = {
    discord5xx: 0,
    discordLostResponse: 0,
    discord429: 0,
    discordGlobal429: 0,
    botRestart: 0,
    github5xx: 0,
    githubStoredThen502: 0,
    github429: 0,
    engineFaultNights: 0,
    engineDrops: 0,
  };
  const tally = { discordErrorResponses: 0, githubErrorResponses: 0 };
  const memory: MemorySample[] = [];
  const unflushedNights: string[] = [];
  const builtImageIds = new Set<string>();
  let store: Store | undefined;
  let service: Service | undefined;
  let nightsRun = 0;

  try {
    writeFileSync(path.join(workDir, 'drydock.yml'), renderConfig(repo, proxy, discord, github));
    const env = readEnv({ DISCORD_TOKEN, DISCORD_API_URL: discord.apiUrl, GITHUB_TOKEN: github.token, GITHUB_API_URL: github.url });
    const settings = loadSettings({}, env, workDir);
    const logger = createSilentLogger();
    store = Store.open(path.join(settings.stateDir, 'drydock.db'));
    const pool = EnginePool.fromConfig(settings.engines, env, logger, 1);
    const runner = createPipelineRunner({
      settings,
      env,
      pool,
      store,
      logger,
      clock: () => clock.now(),
    });
    const openedStore = store;
    const startService = (): Service => {
      const outbox = new Outbox({
        store: new OutboxStore(openedStore.db),
        transport: new RestOutboxTransport(createOutboxRest(DISCORD_TOKEN, discord.apiUrl)),
        logger,
        // NOTE: the outbox and the fake Discord run on real time, because the fake makes message ids from real time;
        // on the virtual clock the outbox's channel search after a restart would start past every id. So a create
        // retried after a restart is caught by its nonce, and the search for an earlier attempt never runs here.
        firstRetryDelayMs: OUTBOX_FIRST_RETRY_MS,
        maxRetryDelayMs: OUTBOX_MAX_RETRY_MS,
      });
      return wireService(settings, openedStore, outbox, clock, runner, logger);
    };
    service = startService();

    for (const plan of plans) {
      if (Date.now() - started > options.timeLimitMs) break;
      if (plan.night > 1) commitFiles(repo, renderNightFiles(plan), `Night ${plan.night}: beta ${plan.beta}, gamma ${plan.gamma}`);
      injectDiscordFaults(discord, random, faults);
      injectGitHubFaults(github, random, faults);
      // Night 2 always has an engine fault and night 3 a restart, so the short form meets both.
      const engineFault = random() < 0.3 || plan.night === 2;
      proxy.dropRate = engineFault ? 0.2 + random() * 0.3 : 0;
      const cuts = engineFault ? scheduleConnectionCuts(proxy, random) : [];
      if (engineFault) faults.engineFaultNights++;
      const restart = random() < 0.08 || plan.night === 3;

      const dueAt = service.scheduler.nextRun;
      if (!dueAt) throw new Error('the nightly scheduler has no next run');
      // A second past the due time, because the scheduler armed its timer a moment after it read the clock.
      clock.jumpTo(new Date(dueAt.getTime() + 1_000));
      if (service.queue.listRunning().length !== 1) throw new Error(`night ${plan.night}: the scheduler started ${service.queue.listRunning().length} jobs at ${dueAt.toISOString()}`);
      await service.queue.drain();
      proxy.dropRate = 0;
      for (const cut of cuts) clearTimeout(cut);

      if (restart) {
        faults.botRestart++;
        // A create whose response is lost just before the bot stops: the next outbox must not post it again.
        discord.addFaults({ method: 'POST', path: /\/messages$/, status: 503, afterServing: true });
        faults.discordLostResponse++;
        await stopWithoutFlush(service);
        service = startService();
      } else {
        const left = await service.outbox.flush(Date.now() + NIGHT_FLUSH_MS);
        if (left > 0) unflushedNights.push(`night ${plan.night}: ${describePending(store)}`);
      }

      closeFixedIssues(github, plan, plans[plan.night - 2], random);
      removeOldImages(store, builtImageIds);
      tally.discordErrorResponses += takeErrorResponses(discord.requests);
      tally.githubErrorResponses += takeErrorResponses(github.requests);
      nightsRun = plan.night;

      options.gc?.();
      const usage = process.memoryUsage();
      memory.push({ night: plan.night, heapUsedBytes: usage.heapUsed, rssBytes: usage.rss });
      log(describeNight(plan, store, usage, service.outbox.pendingCount()));
    }

    service.scheduler.stop();
    const left = await service.outbox.flush(Date.now() + FINAL_FLUSH_MS);
    service.outbox.stop();
    tally.discordErrorResponses += takeErrorResponses(discord.requests);
    tally.githubErrorResponses += takeErrorResponses(github.requests);
    log(`final flush: ${left} notification(s) still pending; ${discord.pendingFaults()} Discord fault(s) never met a request`);

    faults.engineDrops = proxy.drops;
    const invariants = checkInvariants({ store, discord, github, plans: plans.slice(0, nightsRun) });
    return {
      ...invariants,
      seed: options.seed,
      nightsPlanned: options.nights,
      nightsRun,
      stoppedByTimeLimit: nightsRun < options.nights,
      durationMs: Date.now() - started,
      faults,
      discordErrorResponses: tally.discordErrorResponses,
      githubErrorResponses: tally.githubErrorResponses,
      engineConnections: proxy.connections,
      engineRetries: countEngineRetries(store),
      memory,
      unflushedNights,
    };
  } finally {
    service?.scheduler.stop();
    service?.outbox.stop();
    clock.dispose();
    store?.close();
    await discord.close();
    await github.stop();
    await proxy.close();
    removeImages([...builtImageIds, ...SOAK_IMAGES.map((image) => `drydock/${image}:latest`)]);
    rmSync(workDir, { recursive: true, force: true });
    rmSync(repo, { recursive: true, force: true });
  }
}

/** Wires the bot's reporting chain as `startBot` does, without the Discord gateway, which notifications never use. */
function wireService(
  settings: Settings,
  store: Store,
  outbox: Outbox,
  clock: VirtualClock,
  runner: ReturnType<typeof createPipelineRunner>,
  logger: ReturnType<typeof createSilentLogger>,
): Service {
  const discord = settings.discord!;
  const queue = new RunQueue(runner, logger);
  const reporter = new ChannelReporter({
    outbox,
    store,
    channelId: discord.channelId,
    onCall: new OnCall(discord.oncall, store.db),
    links: new DashboardLinks(settings.dashboard.publicUrl!, settings.source.repo),
    clock,
    logger,
    editIntervalMs: discord.summaryEditSeconds * 1000,
    renderNightlyAttachment: () => ({
      name: 'matrix.png',
      base64: renderMatrixPng(buildDashboardMatrix(new DashboardQueries(store.db), discord.summaryMatrixDays, clock.now())).toString('base64'),
    }),
  });
  queue.addObserver(reporter);
  outbox.start();
  const scheduler = new NightlyScheduler({
    schedule: new CronSchedule(settings.schedule.cron, settings.schedule.timezone),
    clock,
    queue,
    db: store.db,
    logger,
    notify: (text) => reporter.notice(text),
  });
  scheduler.start();
  return { queue, outbox, scheduler };
}

/**
 * Stops the service as a killed bot would stop: no flush. The delivery pass
 * in flight is let finish, because a dead process sends nothing more, and
 * two outboxes sending at once is not what a restart looks like.
 */
async function stopWithoutFlush(service: Service): Promise<void> {
  service.scheduler.stop();
  service.outbox.stop();
  await service.outbox.deliverDue();
}

function renderConfig(repo: string, proxy: FaultySocketProxy, discord: FakeDiscord, github: FakeGitHub): string {
  return [
    `source: { repo: ${JSON.stringify(repo)} }`,
    'state: { dir: state }',
    'build: { pull: false }',
    'disk: { minFreeGb: 0 }',
    'engines:',
    `  - { name: flaky, host: "unix://${proxy.path}", slots: 1 }`,
    `  - { name: main, host: "unix://${DOCKER_SOCKET}", slots: 1 }`,
    'validate:',
    '  tests:',
    '    soak_alpha: ["cat /ok"]',
    '    soak_beta: ["cat /ok"]',
    '    soak_gamma: ["sh tests/gamma.sh"]',
    `github: { repo: ${github.repo}, autoFileAfter: 2 }`,
    'discord:',
    `  guildId: "${discord.guildId}"`,
    `  channelId: "${discord.channelId}"`,
    `  oncall: { rotation: ["${makeSnowflake()}"], period: daily }`,
    '  summaryEditSeconds: 1',
    '  summaryMatrixDays: 14',
    'dashboard: { publicUrl: "http://127.0.0.1:9/drydock" }',
    'schedule: { cron: "0 5 * * *", timezone: UTC }',
    '',
  ].join('\n');
}

/** Cuts the engine's open connections once or twice at random moments of the night's first seconds, while images build. */
function scheduleConnectionCuts(proxy: FaultySocketProxy, random: () => number): NodeJS.Timeout[] {
  const count = 1 + Math.floor(random() * 2);
  return Array.from({ length: count }, () => {
    const timer = setTimeout(() => proxy.cutOpenConnections(), Math.floor(random() * MAX_NIGHT_CUT_DELAY_MS));
    timer.unref();
    return timer;
  });
}

/** Queues this night's Discord faults; each waits in the fake for the first request it matches. */
function injectDiscordFaults(discord: FakeDiscord, random: () => number, faults: FaultCounts): void {
  const method = () => (random() < 0.6 ? 'POST' : 'PATCH');
  if (random() < 0.35) {
    const count = 1 + Math.floor(random() * 3);
    for (let index = 0; index < count; index++) discord.addFaults({ method: method(), status: [500, 502, 503][Math.floor(random() * 3)]! });
    faults.discord5xx += count;
  }
  if (random() < 0.25) {
    const target = random();
    // A lost response to a create, an edit, or a thread start: served, then answered 503.
    const path = target < 0.5 ? /\/channels\/\d+\/messages$/ : target < 0.8 ? /\/messages\/\d+$/ : /\/threads$/;
    discord.addFaults({ method: target < 0.5 || target >= 0.8 ? 'POST' : 'PATCH', path, status: 503, afterServing: true });
    faults.discordLostResponse++;
  }
  if (random() < 0.25) {
    discord.addFaults({ method: method(), status: 429, retryAfterSeconds: Math.round((0.1 + random() * 0.3) * 100) / 100 });
    faults.discord429++;
  }
  if (random() < 0.05) {
    discord.addFaults({ method: 'POST', status: 429, retryAfterSeconds: 0.2, global: true });
    faults.discordGlobal429++;
  }
}

/** Queues this night's GitHub faults. A 502 without retry-after costs the tracker one real second of backoff. */
function injectGitHubFaults(github: FakeGitHub, random: () => number, faults: FaultCounts): void {
  if (random() >= 0.3) return;
  const kind = random();
  if (kind < 0.3) {
    // GitHub stored the issue or comment, but the gateway answered 502.
    github.failNext({ method: 'POST', path: random() < 0.5 ? /\/issues$/ : /\/comments$/, status: 502, applyFirst: true });
    faults.githubStoredThen502++;
  } else if (kind < 0.65) {
    github.failNext({ method: 'GET', path: /\/issues(\/\d+\/comments)?$/, status: 502 });
    faults.github5xx++;
  } else {
    github.failNext({ method: random() < 0.5 ? 'GET' : 'POST', path: /\/issues/, status: 429, retryAfter: 0 });
    faults.github429++;
  }
}

/** Closes the open issues of an image that a maintainer fixed this night, as a maintainer would, so its next failure reopens them. */
function closeFixedIssues(github: FakeGitHub, plan: NightPlan, previous: NightPlan | undefined, random: () => number): void {
  if (!previous) return;
  const fixed: string[] = [];
  if (previous.beta !== 'ok' && plan.beta === 'ok') fixed.push('soak_beta');
  if (previous.gamma !== 'ok' && plan.gamma === 'ok') fixed.push('soak_gamma');
  for (const issue of github.issues) {
    const image = fixed.find((name) => issue.title.startsWith(`${name} `));
    if (!image || issue.state !== 'open') continue;
    if (plan.night > 8 && random() < 0.4) continue;
    // GitHub's time, not the virtual clock: the tracker reads its reopen window on real time.
    Object.assign(issue, { state: 'closed', closed_at: new Date().toISOString() });
  }
}

/** Removes the images of earlier nights, keeping the ones `latest` points to, so 200 nights leave no pile of images. */
function removeOldImages(store: Store, built: Set<string>): void {
  const latest = store.listRuns({ limit: 6 }).find((run) => run.kind === 'rebuild');
  if (!latest) return;
  const keep = new Set(store.listImageResults(latest.id).flatMap((result) => (result.imageId ? [result.imageId] : [])));
  const old = [...built].filter((id) => !keep.has(id));
  removeImages(old);
  for (const id of old) built.delete(id);
  for (const id of keep) built.add(id);
}

function removeImages(references: string[]): void {
  if (references.length === 0) return;
  try {
    execFileSync('docker', ['image', 'rm', '-f', ...references], { stdio: 'ignore' });
  } catch {
    // Some were gone already; docker removed the rest.
  }
}

/** Counts the error answers among recorded requests and drops the records, so the fake's memory does not grow with the nights. */
function takeErrorResponses(requests: { status: number; files?: unknown[] }[]): number {
  const errors = requests.filter((request) => request.status === 429 || request.status >= 500).length;
  requests.splice(0);
  return errors;
}

function describePending(store: Store): string {
  const rows = store.db.prepare(`SELECT id, message_key, action, attempts, next_attempt_at, last_error FROM outbox_items WHERE state = 'pending' ORDER BY id`).all() as {
    id: number;
    message_key: string;
    action: string;
    attempts: number;
    next_attempt_at: number;
    last_error: string | null;
  }[];
  return rows
    .map((row) => `${row.action} ${row.id} ${row.message_key} after ${row.attempts} attempts, due in ${row.next_attempt_at - Date.now()} ms (${row.last_error ?? 'no error'})`)
    .join('; ');
}

function countEngineRetries(store: Store): number {
  const row = store.db.prepare(`SELECT COUNT(*) AS count FROM image_results WHERE notes LIKE '%retried on another engine%'`).get() as { count: number };
  return row.count;
}

function describeNight(plan: NightPlan, store: Store, usage: NodeJS.MemoryUsage, pending: number): string {
  const nightly = store.listRuns({ limit: 3 }).find((run) => run.kind === 'nightly');
  const megabytes = (bytes: number) => (bytes / 2 ** 20).toFixed(1);
  return `night ${plan.night}: beta ${plan.beta}, gamma ${plan.gamma}; nightly ${nightly?.id ?? '(none)'} ${nightly?.status ?? ''}; outbox pending ${pending}; heap ${megabytes(usage.heapUsed)} MiB, rss ${megabytes(usage.rss)} MiB`;
}
