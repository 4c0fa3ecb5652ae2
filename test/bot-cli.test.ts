import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { Store } from '../src/store/store.js';
import { FakeDiscord } from './fakes/discord/fake-discord.js';
import { chatInput, makeUser } from './fakes/discord/interactions.js';
import { makeSnowflake } from './fakes/discord/snowflake.js';
import { runCli, type CliResult } from './helpers/cli.js';
import { createGitRepo } from './helpers/git-repo.js';
import { BUSYBOX_IMAGE, removeImages } from './helpers/images.js';

/** How long a test waits for the bot to print or do something before failing. */
const WAIT_MS = 60_000;

/** A running `drydock bot` child process and what it printed so far. */
interface BotProcess {
  pid: number;
  stderr: () => string;
  exited: Promise<CliResult>;
}

const workDirs: string[] = [];
const started: BotProcess[] = [];

function startCli(cwd: string, env: NodeJS.ProcessEnv, args: string[] = []): BotProcess {
  let pid = 0;
  let stderr = '';
  const exited = runCli(['bot', ...args], { cwd, env: { DRYDOCK_LOG_LEVEL: 'error', ...env }, onSpawn: (spawned) => (pid = spawned), onStderr: (all) => (stderr = all) });
  const bot = { pid, stderr: () => stderr, exited };
  started.push(bot);
  return bot;
}

async function waitUntil<T>(check: () => T | undefined | false, what: string, bot: BotProcess): Promise<T> {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const value = check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; the bot printed:\n${bot.stderr()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function makeWorkDir(config: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'drydock-bot-cli-'));
  workDirs.push(dir);
  writeFileSync(path.join(dir, 'drydock.yml'), config);
  return dir;
}

afterEach(async () => {
  // A test that failed midway leaves its bot running; stop only the processes this file started.
  for (const bot of started.splice(0)) {
    try {
      process.kill(bot.pid, 'SIGKILL');
    } catch {
      // Already exited.
    }
    await bot.exited;
  }
});

afterAll(() => {
  for (const dir of workDirs) rmSync(dir, { recursive: true, force: true });
  removeImages(['dbc_slow:latest', 'dbc_quick:latest']);
});

describe('drydock bot without DISCORD_TOKEN', () => {
  test('schedules, reports to the console, serves the dashboard', async () => {
    const repo = createGitRepo({ 'docker/Dockerfile.dbc_quick': `FROM ${BUSYBOX_IMAGE}\nRUN true\n` });
    const dir = makeWorkDir(`source: { repo: ${JSON.stringify(repo)} }\nbuild: { pull: false }\nstate: { dir: ./state }\ndashboard: { listen: "127.0.0.1:0" }\nschedule: { cron: "0 5 * * *", timezone: UTC }\n`);
    // The last nightly on record is two days old, so one was missed while the bot was down.
    const store = Store.open(path.join(dir, 'state', 'drydock.db'));
    store.db.prepare('INSERT INTO schedule_state (name, last_fired_for) VALUES (?, ?)').run('nightly', new Date(Date.now() - 2 * 24 * 60 * 60 * 1000).toISOString());
    store.close();

    const bot = startCli(dir, { DISCORD_TOKEN: '' });
    const url = await waitUntil(() => /dashboard at (http:\/\/127\.0\.0\.1:\d+)/.exec(bot.stderr())?.[1], 'the start-up line', bot);
    const health = await fetch(`${url}/healthz`);
    process.kill(bot.pid, 'SIGTERM');
    const result = await bot.exited;

    expect(health.status).toBe(200);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr.match(/DISCORD_TOKEN is not set/g)).toHaveLength(1);
    expect(result.stderr).toContain('reports on this console only');
    expect(result.stderr).toMatch(/next nightly at \d{4}-\d{2}-\d{2}T05:00:00\.000Z/);
    expect(result.stderr.match(/did not run, because drydock was not running then/g)).toHaveLength(1);
    expect(result.stderr).toContain('SIGTERM received: no run in flight');
    expect(result.stderr).toContain('drydock bot stopped.');
  });

  test('reports and re-queues an interrupted run', async () => {
    const repo = createGitRepo({ 'docker/Dockerfile.dbc_quick': `FROM ${BUSYBOX_IMAGE}\nRUN true\n` });
    const dir = makeWorkDir(
      `source: { repo: ${JSON.stringify(repo)} }\nbuild: { pull: false }\nstate: { dir: ./state }\ndashboard: { listen: "127.0.0.1:0" }\ndiscord: { guildId: "${'1'.repeat(18)}", channelId: "${'2'.repeat(18)}", requeueInterrupted: true }\n`,
    );
    // A run that a crash left running, as a killed process leaves it in the store.
    const store = Store.open(path.join(dir, 'state', 'drydock.db'));
    const at = new Date().toISOString();
    store.insertRun({ id: 'crashed-run', kind: 'rebuild', trigger: 'schedule', triggeredBy: null, status: 'running', repo, commitHash: null, shortCommit: null, commitSubject: null, commitAuthor: null, committedAt: null, startedAt: at, finishedAt: null, error: null });
    store.saveImageResult({ runId: 'crashed-run', image: 'dbc_quick', status: 'running', engine: null, notes: [], tags: [], digest: null, imageId: null, sizeBytes: null, durationMs: null, logPath: null, failedStep: null, error: null, cause: null, baseImages: {}, startedAt: at, finishedAt: null });
    store.close();

    const bot = startCli(dir, { DISCORD_TOKEN: '' });
    await waitUntil(() => /dbc_quick.*succeeded|succeeded.*dbc_quick/.test(bot.stderr()) || undefined, 'the re-queued rebuild', bot);
    process.kill(bot.pid, 'SIGTERM');
    const result = await bot.exited;
    const after = Store.open(path.join(dir, 'state', 'drydock.db'));
    const crashed = after.getRun('crashed-run');
    after.close();

    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr.match(/Run crashed-run \(rebuild\) was interrupted by a crash or SIGKILL/g)).toHaveLength(1);
    expect(result.stderr).toContain('Re-queued dbc_quick from interrupted run crashed-run');
    expect(crashed?.status).toBe('interrupted');
  });

  test('dashboard address in use is a configuration error', async () => {
    const blocker = (await import('node:net')).createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    const dir = makeWorkDir(`source: { repo: /nonexistent }\nstate: { dir: ./state }\ndashboard: { listen: "127.0.0.1:${port}" }\n`);

    const result = await startCli(dir, { DISCORD_TOKEN: '' }).exited;
    blocker.close();

    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`the dashboard cannot listen on 127.0.0.1:${port}: EADDRINUSE`);
    expect(result.stderr).toContain('dashboard.listen');
  });
});

describe('drydock bot on SIGTERM', () => {
  let fake: FakeDiscord;
  const committerRole = makeSnowflake();
  const committer = makeUser('alice', [committerRole]);

  beforeAll(async () => {
    fake = await FakeDiscord.start();
    fake.roleIds.push(committerRole);
  });

  afterAll(async () => {
    await fake?.close();
  });

  function botDir(repo: string): string {
    return makeWorkDir(
      [
        `source: { repo: ${JSON.stringify(repo)} }`,
        'build: { pull: false }',
        'state: { dir: ./state }',
        'dashboard: { listen: "127.0.0.1:0" }',
        'discord:',
        `  guildId: "${fake.guildId}"`,
        `  channelId: "${fake.channelId}"`,
        `  committers: { roles: ["${committerRole}"] }`,
        '  summaryEditSeconds: 1',
        '',
      ].join('\n'),
    );
  }

  /** Starts the bot, asks it to rebuild `image`, and waits until the run's summary is posted. */
  async function startRebuild(dir: string, image: string, args: string[] = []): Promise<{ bot: BotProcess; summaryId: string }> {
    const registrations = fake.requestsTo('PUT', /\/commands$/).length;
    const bot = startCli(dir, { DISCORD_TOKEN: 'fake-bot-token', DISCORD_API_URL: fake.apiUrl }, args);
    await waitUntil(() => fake.requestsTo('PUT', /\/commands$/).length > registrations, 'command registration', bot);
    await waitUntil(() => bot.stderr().includes('drydock bot is running'), 'the start-up line', bot);

    const interaction = chatInput(fake, committer, 'rebuild', [{ name: 'images', type: 3, value: image }]);
    fake.dispatch('INTERACTION_CREATE', interaction);
    const summary = await waitUntil(
      () => fake.messagesIn(fake.channelId).find((message) => message.embeds[0]?.footer?.text === `drydock · rebuild-${interaction.id}` && /images done$/.test(message.embeds[0].title) && message.edits > 0),
      'the running summary',
      bot,
    );
    return { bot, summaryId: summary.id };
  }

  function lastRebuildStatus(dir: string): string | undefined {
    const store = Store.open(path.join(dir, 'state', 'drydock.db'));
    try {
      return (store.db.prepare(`SELECT status FROM runs WHERE kind = 'rebuild' ORDER BY started_at DESC LIMIT 1`).get() as { status: string } | undefined)?.status;
    } finally {
      store.close();
    }
  }

  test('cancels the run and delivers the summary', async () => {
    const dir = botDir(createGitRepo({ 'docker/Dockerfile.dbc_slow': `FROM ${BUSYBOX_IMAGE}\nRUN sleep 120\n` }));
    const { bot, summaryId } = await startRebuild(dir, 'dbc_slow');

    process.kill(bot.pid, 'SIGTERM');
    const result = await bot.exited;

    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain('SIGTERM received: cancelling 1 run(s), then delivering the outbox.');
    expect(result.stderr).toContain('drydock bot stopped.');
    expect(lastRebuildStatus(dir)).toBe('cancelled');
    expect(fake.messages.get(summaryId)!.embeds[0].title).toMatch(/: cancelled$/);
    fake.assertClean();
  });

  test('finishes the run with --on-shutdown finish', async () => {
    const dir = botDir(createGitRepo({ 'docker/Dockerfile.dbc_quick': `FROM ${BUSYBOX_IMAGE}\nRUN sleep 8\n` }));
    const { bot, summaryId } = await startRebuild(dir, 'dbc_quick', ['--on-shutdown', 'finish']);

    process.kill(bot.pid, 'SIGTERM');
    const result = await bot.exited;

    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain('SIGTERM received: waiting for 1 run(s) to finish, then delivering the outbox.');
    expect(lastRebuildStatus(dir)).toBe('succeeded');
    expect(fake.messages.get(summaryId)!.embeds[0].title).toMatch(/: succeeded$/);
    fake.assertClean();
  });
});
