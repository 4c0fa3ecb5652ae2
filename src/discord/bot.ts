import type { Client } from 'discord.js';
import { discoverImages } from '../catalog/discover-images.js';
import type { DrydockEnv } from '../config/env.js';
import type { Settings } from '../config/load-config.js';
import { DashboardLinks } from '../dashboard/links.js';
import { buildDashboardMatrix } from '../dashboard/matrix-model.js';
import { renderMatrixPng } from '../dashboard/matrix-svg.js';
import { DashboardQueries } from '../store/dashboard-queries.js';
import { connectEngine } from '../engine/connect-engine.js';
import { ConfigError } from '../errors.js';
import type { Logger } from '../logger.js';
import { Outbox } from '../outbox/outbox.js';
import { OutboxStore } from '../outbox/outbox-store.js';
import { DiscordPromotions } from '../promote/discord-promote.js';
import { createOutboxRest, RestOutboxTransport } from '../outbox/rest-transport.js';
import type { Clock } from '../scheduler/clock.js';
import { CronSchedule } from '../scheduler/cron-schedule.js';
import type { JobObserver } from '../scheduler/job.js';
import { NightlyScheduler } from '../scheduler/nightly-scheduler.js';
import { RunQueue, type PipelineRunner } from '../scheduler/run-queue.js';
import type { Store } from '../store/store.js';
import { ChannelReporter } from './channel-reporter.js';
import { createDiscordClient, DEFAULT_DISCORD_API_URL, loadCommandDefinitions, registerGuildCommands } from './client.js';
import { AuditLog } from './committers.js';
import { handleInteraction, listKnownImages } from './interactions.js';
import { OnCall } from './oncall.js';

/** How long the catalog of image names is reused before it is read again. */
const CATALOG_CACHE_MS = 60_000;

export interface BotOptions {
  settings: Settings;
  env: DrydockEnv;
  store: Store;
  logger: Logger;
  clock: Clock;
  runner: PipelineRunner;
  /** Reports when Discord is off, such as to the console. */
  fallbackObserver?: JobObserver;
  /** Links to the dashboard the bot serves; built from dashboard.publicUrl or dashboard.listen when unset. */
  links?: DashboardLinks;
}

/** The running service: the queue and schedule always, Discord when a token is set. */
export interface Bot {
  queue: RunQueue;
  scheduler: NightlyScheduler | undefined;
  client: Client | undefined;
  outbox: Outbox | undefined;
  /** Posts a notice in the channel, or on the console without Discord. */
  notify(text: string): void;
  /**
   * Stops the schedule, finishes or cancels the runs in flight, delivers
   * the outbox's pending items until `flushDeadline`, and logs out. Returns the
   * number of notifications left undelivered.
   */
  stop(mode: 'finish' | 'cancel', flushDeadline: number): Promise<number>;
}

/** Starts the bot: logs in and registers commands when DISCORD_TOKEN is set, then schedules the nightly. */
export async function startBot(options: BotOptions): Promise<Bot> {
  const { settings, env, store, logger, clock } = options;
  const queue = new RunQueue(options.runner, logger);
  const links = options.links ?? new DashboardLinks(settings.dashboard.publicUrl ?? `http://${settings.dashboard.listen}`, settings.source.repo);

  let client: Client | undefined;
  let outbox: Outbox | undefined;
  let notify: (text: string) => void = (text) => options.fallbackObserver?.notice?.(text);
  if (env.discordToken === undefined) {
    if (options.fallbackObserver) queue.addObserver(options.fallbackObserver);
  } else {
    const discord = settings.discord;
    if (!discord) {
      throw new ConfigError('DISCORD_TOKEN is set but drydock.yml has no discord section', { fix: 'add discord.guildId and discord.channelId to drydock.yml, or unset DISCORD_TOKEN' });
    }
    const apiUrl = env.discordApiUrl ?? DEFAULT_DISCORD_API_URL;
    outbox = new Outbox({ store: new OutboxStore(store.db), transport: new RestOutboxTransport(createOutboxRest(env.discordToken, apiUrl)), logger: logger.child({ component: 'outbox' }) });
    const onCall = new OnCall(discord.oncall, store.db);
    const matrixDays = discord.summaryMatrixDays;
    const reporter = new ChannelReporter({
      outbox,
      store,
      channelId: discord.channelId,
      onCall,
      links,
      clock,
      logger,
      editIntervalMs: discord.summaryEditSeconds * 1000,
      renderNightlyAttachment:
        matrixDays === 0 ? undefined : () => ({ name: 'matrix.png', base64: renderMatrixPng(buildDashboardMatrix(new DashboardQueries(store.db), matrixDays, clock.now())).toString('base64') }),
    });
    queue.addObserver(reporter);
    notify = (text) => reporter.notice(text);
    outbox.start();

    client = createDiscordClient(apiUrl);
    const catalog = cachedCatalog(store, settings, clock);
    const promotions = new DiscordPromotions({ settings, env, store, logger, connectEngine: () => connectEngine(env) });
    const context = { settings, env, store, queue, scheduler: undefined as NightlyScheduler | undefined, onCall, audit: new AuditLog(store.db, logger), links, clock, logger, listImages: catalog, reporter, promotions };
    client.on('interactionCreate', (interaction) => void handleInteraction(interaction, context));
    client.on('error', (error) => logger.error({ err: error }, 'Discord client error'));

    const ready = new Promise<Client<true>>((resolve) => client!.once('clientReady', resolve));
    await client.login(env.discordToken);
    const loggedIn = await ready;
    logger.info({ user: loggedIn.user.tag, apiUrl }, 'logged in to Discord');

    const definitions = await loadCommandDefinitions();
    const count = await registerGuildCommands(client.rest, loggedIn.application.id, discord.guildId, definitions);
    logger.info({ guildId: discord.guildId, commands: count }, 'slash commands registered');
    Object.defineProperty(context, 'scheduler', { get: () => scheduler });
  }

  let scheduler: NightlyScheduler | undefined;
  if (settings.schedule.enabled) {
    scheduler = new NightlyScheduler({ schedule: new CronSchedule(settings.schedule.cron, settings.schedule.timezone), clock, queue, db: store.db, logger, notify });
    scheduler.start();
    logger.info({ cron: settings.schedule.cron, timezone: settings.schedule.timezone, next: scheduler.nextRun?.toISOString() }, 'nightly scheduled');
  }

  return {
    notify: (text: string) => notify(text),
    queue,
    get scheduler() {
      return scheduler;
    },
    client,
    outbox,
    async stop(mode, flushDeadline) {
      scheduler?.stop();
      if (mode === 'cancel') queue.cancelAll('drydock bot is shutting down');
      await queue.drain();
      outbox?.stop();
      const left = outbox ? await outbox.flush(flushDeadline) : 0;
      if (left > 0) logger.warn({ pending: left }, 'notifications left in the outbox; they are sent at the next start');
      await client?.destroy();
      return left;
    },
  };
}

/** Image names for autocomplete, read at most once a minute. */
function cachedCatalog(store: Store, settings: Settings, clock: Clock): () => string[] {
  let cached: { at: number; names: string[] } | undefined;
  return () => {
    const now = clock.now().getTime();
    if (!cached || now - cached.at > CATALOG_CACHE_MS) {
      cached = { at: now, names: listKnownImages(store, settings.stateDir, (dir) => discoverImages(settings, dir).map((image) => image.name)) };
    }
    return cached.names;
  };
}
