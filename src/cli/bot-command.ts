import path from 'node:path';
import { readEnv } from '../config/env.js';
import { loadSettings, type ConfigFlags } from '../config/load-config.js';
import { startDashboard, type RunningDashboard } from '../dashboard/server.js';
import { startBot } from '../discord/bot.js';
import { recoverInterruptedRuns } from '../state/recover-interrupted.js';
import { acquireStateLock } from '../state/state-lock.js';
import { describeRecovered } from './pipeline-session.js';
import { ConfigError } from '../errors.js';
import { EnginePool } from '../engine/engine-pool.js';
import { createLogger, type Logger } from '../logger.js';
import { systemClock } from '../scheduler/clock.js';
import type { JobObserver } from '../scheduler/job.js';
import { createPipelineRunner } from '../scheduler/run-pipeline.js';
import type { Settings } from '../config/load-config.js';
import { Store } from '../store/store.js';

/** On shutdown, undelivered notifications get this long before the bot exits; the rest wait for the next start. */
const SHUTDOWN_FLUSH_MS = 30_000;

export interface BotFlags extends ConfigFlags {
  onShutdown?: 'finish' | 'cancel';
}

/**
 * Runs `drydock bot` until SIGTERM or SIGINT: the nightly schedule, the
 * dashboard on dashboard.listen, and the Discord bot when DISCORD_TOKEN is set. On the signal it finishes or
 * cancels the run in flight (discord.onShutdown), delivers the outbox and
 * exits 0. A second signal exits at once.
 */
export async function runBotCommand(flags: BotFlags): Promise<number> {
  const env = readEnv();
  const settings = loadSettings(flags, env);
  const logger = createLogger(process.env.DRYDOCK_LOG_LEVEL || 'info');
  const pool = EnginePool.fromConfig(settings.engines, env, logger, settings.build.concurrency);
  const store = Store.open(path.join(settings.stateDir, 'drydock.db'));

  if (env.discordToken === undefined) {
    process.stderr.write('DISCORD_TOKEN is not set: drydock bot schedules the nightly and reports on this console only, with no Discord commands.\n');
  }

  // Recovery runs under the state lock, so no other process is running those runs.
  const lock = acquireStateLock(settings.stateDir, 'drydock bot');
  const recovered = await recoverInterruptedRuns(store, pool, logger).finally(() => lock.release());

  const dashboard = await serveDashboard(settings, store, logger);
  const runner = createPipelineRunner({ settings, env, pool, store, logger });
  const bot = await startBot({ settings, env, store, logger, clock: systemClock, runner, fallbackObserver: consoleObserver(), links: dashboard.links }).catch(async (error: unknown) => {
    await dashboard.close();
    throw error;
  });
  for (const line of describeRecovered(recovered)) bot.notify(line);
  if (settings.discord?.requeueInterrupted) {
    for (const { run, unfinished } of recovered) {
      if (unfinished.length === 0 || run.kind === 'nightly') continue;
      const images = [...new Set(unfinished)];
      bot.queue.submit({ id: `requeue-${run.id}`, kind: run.kind, images, trigger: 'console', requestedBy: null, requestedAt: new Date(), controller: new AbortController() });
      bot.notify(`Re-queued ${images.join(', ')} from interrupted run ${run.id} (discord.requeueInterrupted).`);
    }
  }
  process.stderr.write(`drydock bot is running; dashboard at ${dashboard.url}${bot.scheduler?.nextRun ? `; next nightly at ${bot.scheduler.nextRun.toISOString()}` : ''}.\n`);

  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });
  process.once(signal, () => process.exit(130));
  const mode = flags.onShutdown ?? settings.discord?.onShutdown ?? 'cancel';
  const running = bot.queue.listRunning().length;
  process.stderr.write(`${signal} received: ${running === 0 ? 'no run in flight' : mode === 'cancel' ? `cancelling ${running} run(s)` : `waiting for ${running} run(s) to finish`}, then delivering the outbox.\n`);

  const left = await bot.stop(mode, Date.now() + SHUTDOWN_FLUSH_MS);
  await dashboard.close();
  store.close();
  process.stderr.write(left === 0 ? 'drydock bot stopped.\n' : `drydock bot stopped with ${left} notification(s) still queued; they are sent at the next start.\n`);
  return 0;
}

/** Starts the dashboard on dashboard.listen; an address in use is a configuration error. */
async function serveDashboard(settings: Settings, store: Store, logger: Logger): Promise<RunningDashboard> {
  const listen = settings.dashboard.listen;
  try {
    return await startDashboard({ store, listen, publicUrl: settings.dashboard.publicUrl, sourceRepo: settings.source.repo, logger: logger.child({ component: 'dashboard' }) });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EADDRINUSE' && code !== 'EACCES' && code !== 'EADDRNOTAVAIL') throw error;
    throw new ConfigError(`the dashboard cannot listen on ${listen}: ${code}`, { fix: 'choose a free address and port with dashboard.listen in drydock.yml', cause: error });
  }
}

/** Reports jobs on stderr, for a bot without Discord. */
function consoleObserver(): JobObserver {
  const say = (text: string) => process.stderr.write(`${text}\n`);
  return {
    queued: (job, blockers) => say(`${job.id} queued behind ${blockers.map((blocker) => blocker.runId ?? blocker.id).join(', ')}, which build the same images`),
    started: (job) => say(`${job.id} started`),
    imageChanged: (_job, result, progress) => {
      if (result.status !== 'pending' && result.status !== 'running') say(`[${progress.done}/${progress.total}] ${result.image} ${result.status}${result.error ? `: ${result.error}` : ''}`);
    },
    validationChanged: (_job, record, progress) => {
      if (record.status !== 'pending' && record.status !== 'running') say(`[${progress.done}/${progress.total} tested] ${record.image} tests ${record.status}${record.error ? `: ${record.error}` : ''}`);
    },
    finished: (job, result) => say(`${job.id}: run ${result.runId} ${result.status}`),
    failed: (job, error) => say(`${job.id} failed: ${error instanceof Error ? error.message : String(error)}`),
    notice: say,
  };
}
