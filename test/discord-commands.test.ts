import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { readEnv, type DrydockEnv } from '../src/config/env.js';
import { loadSettings, type Settings } from '../src/config/load-config.js';
import { startBot, type Bot } from '../src/discord/bot.js';
import { EnginePool } from '../src/engine/engine-pool.js';
import { createSilentLogger } from '../src/logger.js';
import { createPipelineRunner } from '../src/scheduler/run-pipeline.js';
import { Store } from '../src/store/store.js';
import { FakeDiscord, type FakeMessage } from './fakes/discord/fake-discord.js';
import { buttonPress, chatInput, makeUser } from './fakes/discord/interactions.js';
import { makeSnowflake } from './fakes/discord/snowflake.js';
import { startFakeGitHub, type FakeGitHub } from './fakes/github-server.js';
import { FakeClock } from './helpers/fake-clock.js';
import { commitFiles, createGitRepo } from './helpers/git-repo.js';
import { BUSYBOX_IMAGE, removeImages } from './helpers/images.js';
import { startRegistry, type TestRegistry } from './helpers/registry.js';

const committerRole = makeSnowflake();
const committer = makeUser('alice', [committerRole]);
const outsider = makeUser('mallory');
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

let fake: FakeDiscord;
let github: FakeGitHub;
let registry: TestRegistry;
let bot: Bot;
let store: Store;
let clock: FakeClock;
let repo: string;
let workDir: string;
let settings: Settings;
let env: DrydockEnv;
const localImages: string[] = [];

async function startTestBot(): Promise<Bot> {
  const logger = createSilentLogger();
  const pool = EnginePool.fromConfig(settings.engines, env, logger, 2);
  // The pipeline records runs on the bot's clock, so /status finds them in its days.
  const runner = createPipelineRunner({ settings, env, pool, store, logger, clock: () => clock.now() });
  return startBot({ settings, env, store, logger, clock, runner });
}

/** Sends an interaction and returns the bot's first callback to it. */
async function send(interaction: { id: string }, what: string): Promise<any> {
  fake.dispatch('INTERACTION_CREATE', interaction);
  return fake.waitFor(() => fake.callbacks.get(interaction.id)?.[0], what);
}

/** Waits until the deferred reply of an interaction is edited to text matching `pattern`. */
function finalReply(interaction: { token: string }, pattern: RegExp, what: string): Promise<any> {
  return fake.waitFor(() => {
    const original = fake.originals.get(interaction.token);
    return typeof original?.content === 'string' && pattern.test(original.content) ? original : undefined;
  }, what, 120_000);
}

function summaries(kind: string): FakeMessage[] {
  return fake.messagesIn(fake.channelId).filter((message) => message.embeds[0]?.title?.startsWith(kind));
}

function threadNamed(prefix: string): { id: string; name: string } {
  const thread = fake.threads().find((entry) => entry.name.startsWith(prefix));
  if (!thread) throw new Error(`no thread named ${prefix}…; threads: ${fake.threads().map((entry) => entry.name).join(', ')}`);
  return thread;
}

beforeAll(async () => {
  fake = await FakeDiscord.start();
  fake.roleIds.push(committerRole);
  github = await startFakeGitHub({ repo: 'octo-org/ci-images' });
  registry = await startRegistry();

  // The production image has the tool that the new staging image lost.
  const productionDir = mkdtempSync(path.join(tmpdir(), 'drydock-cmd-production-'));
  writeFileSync(path.join(productionDir, 'Dockerfile'), `FROM ${BUSYBOX_IMAGE}\nRUN mkdir -p /opt && echo tool > /opt/tool\n`);
  const productionRef = `${registry.host}/production/dcc_regress:latest`;
  execFileSync('docker', ['build', '-q', '-t', productionRef, productionDir], { stdio: 'pipe' });
  execFileSync('docker', ['push', productionRef], { stdio: 'pipe' });
  removeImages([productionRef]);
  rmSync(productionDir, { recursive: true, force: true });

  repo = createGitRepo({
    'docker/Dockerfile.dcc_ok': `FROM ${BUSYBOX_IMAGE}\nRUN echo built > /ok.txt\n`,
    'docker/Dockerfile.dcc_regress': `FROM ${BUSYBOX_IMAGE}\nRUN echo this image lost /opt/tool > /marker\n`,
    'docker/Dockerfile.dcc_broken': `FROM ${BUSYBOX_IMAGE}\nRUN echo about to fail && exit 3\n`,
    // Fast in the nightly; made slow before the cancel test.
    'docker/Dockerfile.dcc_slow': `FROM ${BUSYBOX_IMAGE}\nRUN echo quick\n`,
  });
  workDir = mkdtempSync(path.join(tmpdir(), 'drydock-cmd-'));
  writeFileSync(
    path.join(workDir, 'drydock.yml'),
    [
      `source: { repo: ${JSON.stringify(repo)} }`,
      'build: { pull: false }',
      `registry: { staging: ${registry.host}/staging }`,
      `production: { registry: ${registry.host}/production }`,
      'validate:',
      '  network: none',
      '  tests:',
      '    dcc_ok: ["test -f /ok.txt"]',
      '    dcc_regress: ["test -f /opt/tool"]',
      'dashboard: { publicUrl: "http://127.0.0.1:9/drydock" }',
      'github: { repo: octo-org/ci-images, autoFileAfter: 0 }',
      'discord:',
      `  guildId: "${fake.guildId}"`,
      `  channelId: "${fake.channelId}"`,
      `  committers: { roles: ["${committerRole}"] }`,
      '  summaryEditSeconds: 1',
      '  summaryMatrixDays: 7',
      'schedule: { cron: "0 5 * * *", timezone: UTC }',
      '',
    ].join('\n'),
  );
  env = readEnv({ DISCORD_TOKEN: 'fake-bot-token', DISCORD_API_URL: fake.apiUrl, GITHUB_TOKEN: github.token, GITHUB_API_URL: github.url });
  settings = loadSettings({}, env, workDir);
  store = Store.open(path.join(settings.stateDir, 'drydock.db'));
  clock = new FakeClock(Date.UTC(2025, 0, 10, 4, 59, 0));
  bot = await startTestBot();
  for (const name of ['dcc_ok', 'dcc_regress', 'dcc_broken', 'dcc_slow']) localImages.push(`${name}:latest`, `${registry.host}/staging/${name}:latest`);
});

afterAll(async () => {
  await bot?.stop('cancel', Date.now() + 5_000);
  store?.close();
  await fake?.close();
  await github?.stop();
  await registry?.stop();
  removeImages(localImages);
  rmSync(workDir, { recursive: true, force: true });
});

describe('nightly report with validation', () => {
  test('summary shows builds, tests and regressions', async () => {
    clock.advanceTo(new Date(Date.UTC(2025, 0, 10, 5, 0, 0)));
    expect(bot.queue.listRunning()[0]?.kind).toBe('nightly');
    // Move the bot's clock while the nightly runs, so the summary edit interval passes.
    const ticker = setInterval(() => clock.advanceBy(1_000), 50);
    try {
      await bot.queue.drain();
    } finally {
      clearInterval(ticker);
    }
    await bot.outbox!.flush(Date.now() + 20_000);

    const [summary] = summaries('Nightly');
    expect(summaries('Nightly')).toHaveLength(1);
    const embed = summary!.embeds[0];
    expect(embed.title).toMatch(/: failed$/);
    expect(embed.description).toMatch(/✓ \*\*dcc_ok\*\* succeeded · .* · tests passed/);
    expect(embed.description).toMatch(/✗ \*\*dcc_regress\*\* succeeded · .* · tests failed in [^:]+: image regression in `test -f \/opt\/tool`/);
    expect(embed.description).toMatch(/✗ \*\*dcc_broken\*\* failed/);
    expect(embed.description).toContain('[test log](http://127.0.0.1:9/drydock/runs/');
    expect(embed.fields.find((field: { name: string }) => field.name === 'Image regressions')?.value).toBe('dcc_regress');
    expect(embed.fields.find((field: { name: string }) => field.name === 'Tests')?.value).toBe('2 passed, 1 failed');
  });

  test('summary edits showed validation progress', () => {
    const summaryId = summaries('Nightly')[0]!.id;
    const titles = fake.requestsTo('PATCH', new RegExp(`/messages/${summaryId}$`)).map((request) => String(request.body?.embeds?.[0]?.title ?? ''));
    expect(titles.some((title) => /4\/4 images built, \d\/3 tested$/.test(title))).toBe(true);
  });

  test('final summary attaches the matrix PNG', () => {
    const summary = summaries('Nightly')[0]!;
    expect(summary.attachments.map((file) => file.filename)).toEqual(['matrix.png']);
    expect(summary.attachments[0]!.data.subarray(0, 8).equals(PNG_SIGNATURE)).toBe(true);
    expect(summary.embeds[0].image.url).toBe('attachment://matrix.png');
  });

  test('build and test failures get threads', async () => {
    const regress = threadNamed('dcc_regress');
    const broken = threadNamed('dcc_broken');
    const regressPost = fake.messagesIn(regress.id)[0]!;
    expect(regressPost.content).toContain('**dcc_regress** failed its tests');
    const commands = regressPost.embeds[0].fields.find((field: { name: string }) => field.name === 'Failed commands');
    expect(commands.value).toContain('`test -f /opt/tool`: image regression');
    const logButton = regressPost.components[0].components.find((button: { label: string }) => button.label === 'Full log');
    expect(logButton.url).toMatch(/\/logs\/dcc_regress\/validate$/);
    expect(fake.messagesIn(broken.id)[0]!.content).toContain('**dcc_broken** failed to build');
    fake.assertClean();
  });
});

describe('validate command', () => {
  test('defers, tests and reports to the channel', async () => {
    const before = summaries('Validate').length;
    const interaction = chatInput(fake, committer, 'validate', [{ name: 'images', type: 3, value: 'dcc_ok,dcc_regress' }]);

    const callback = await send(interaction, 'the deferral');
    const reply = await finalReply(interaction, /^Run /, 'the validate result');

    expect(callback.type).toBe(5);
    expect(reply.content).toMatch(/^Run \S+ failed at [0-9a-f]{7}\./);
    expect(reply.content).toContain('✓ dcc_ok tests passed');
    expect(reply.content).toContain('✗ dcc_regress tests failed');
    expect(reply.content).toContain('image regression in `test -f /opt/tool`');
    await bot.outbox!.flush(Date.now() + 20_000);
    const validateSummaries = summaries('Validate');
    expect(validateSummaries).toHaveLength(before + 1);
    expect(validateSummaries.at(-1)!.embeds[0].description).toMatch(/✓ \*\*dcc_ok\*\* succeeded .* tests passed/);
  });

  test('named tag selects that build', async () => {
    const run = (store.db.prepare(`SELECT run_id FROM image_results WHERE image = 'dcc_ok' AND status = 'succeeded' ORDER BY started_at LIMIT 1`).get() as { run_id: string }).run_id;
    const tags = (JSON.parse((store.db.prepare(`SELECT tags FROM image_results WHERE run_id = ? AND image = 'dcc_ok'`).get(run) as { tags: string }).tags) as string[]);
    const runTag = tags[1]!.slice(tags[1]!.lastIndexOf(':') + 1);
    const interaction = chatInput(fake, committer, 'validate', [{ name: 'images', type: 3, value: 'dcc_ok' }, { name: 'tag', type: 3, value: runTag }]);

    await send(interaction, 'the deferral');
    const reply = await finalReply(interaction, /^Run /, 'the validate result');

    expect(reply.content).toMatch(/succeeded/);
    expect(reply.content).toContain('✓ dcc_ok tests passed');
  });

  test.each([
    ['malformed tag', [{ name: 'images', type: 3, value: 'dcc_ok' }, { name: 'tag', type: 3, value: '../etc' }], 'is not an image tag'],
    ['unknown image', [{ name: 'images', type: 3, value: 'dcc_nope' }], 'No image is named dcc_nope'],
  ])('rejects %s', async (_case, options, message) => {
    const callback = await send(chatInput(fake, committer, 'validate', options), 'the rejection');

    expect(callback.data.flags & 64).toBe(64);
    expect(callback.data.content).toContain(message);
  });

  test('unknown tag fails before testing', async () => {
    const interaction = chatInput(fake, committer, 'validate', [{ name: 'images', type: 3, value: 'dcc_ok' }, { name: 'tag', type: 3, value: '2020-01-01-00-00-00-abcdef0' }]);

    await send(interaction, 'the deferral');
    const reply = await finalReply(interaction, /failed before testing/, 'the failure');

    expect(reply.content).toContain('2020-01-01-00-00-00-abcdef0');
  });

  test('non-committer is refused', async () => {
    const callback = await send(chatInput(fake, outsider, 'validate', [{ name: 'images', type: 3, value: 'dcc_ok' }]), 'the refusal');

    expect(callback.data.flags & 64).toBe(64);
    expect(callback.data.content).toContain(`<@&${committerRole}>`);
  });
});

describe('thread buttons', () => {
  test('Rebuild button rebuilds the image', async () => {
    const thread = threadNamed('dcc_broken');
    const post = fake.messagesIn(thread.id)[0]!;
    const press = buttonPress(fake, committer, 'rebuild:dcc_broken', post.id, thread.id);

    const callback = await send(press, 'the deferral');
    const reply = await finalReply(press, /^Run /, 'the rebuild result');

    expect(callback.type).toBe(5);
    expect(reply.content).toMatch(/^Run \S+ failed/);
    expect(reply.content).toContain('✗ dcc_broken failed');
    const audit = store.db.prepare(`SELECT command, allowed FROM discord_audit_log WHERE user_id = ? AND command = 'button:rebuild'`).all(committer.id);
    expect(audit).toEqual([{ command: 'button:rebuild', allowed: 1 }]);
  });

  test('Rebuild button refuses a non-committer', async () => {
    const thread = threadNamed('dcc_broken');
    const press = buttonPress(fake, outsider, 'rebuild:dcc_broken', fake.messagesIn(thread.id)[0]!.id, thread.id);

    const callback = await send(press, 'the refusal');

    expect(callback.type).toBe(4);
    expect(callback.data.flags & 64).toBe(64);
    const audit = store.db.prepare(`SELECT allowed FROM discord_audit_log WHERE user_id = ? AND command = 'button:rebuild'`).all(outsider.id);
    expect(audit).toEqual([{ allowed: 0 }]);
    expect(bot.queue.listRunning()).toHaveLength(0);
  });

  test('File GitHub issue button files and links it', async () => {
    await bot.outbox!.flush(Date.now() + 20_000);
    const thread = threadNamed('dcc_broken');
    const post = fake.messagesIn(thread.id)[0]!;
    const button = post.components[0].components.find((entry: { label: string }) => entry.label === 'File GitHub issue');
    const press = buttonPress(fake, committer, button.custom_id, post.id, thread.id);

    await send(press, 'the deferral');
    const reply = await finalReply(press, /issue #\d+/, 'the issue reply');
    await bot.outbox!.flush(Date.now() + 20_000);

    expect(github.issues).toHaveLength(1);
    const issue = github.issues[0]!;
    expect(issue.title).toContain('dcc_broken');
    expect(reply.content).toContain(`Filed issue #${issue.number} for dcc_broken`);
    expect(reply.content).toContain('The link is posted in the triage thread.');
    const link = fake.messagesIn(thread.id).find((message) => message.content.includes(`issue #${issue.number}`));
    expect(link?.content).toContain(`${github.url}/octo-org/ci-images/issues/${issue.number}`);
    expect(link?.content).toContain(`<@${committer.id}>`);
  });

  test('file-issue command updates the same issue', async () => {
    const interaction = chatInput(fake, committer, 'file-issue', [{ name: 'image', type: 3, value: 'dcc_broken' }]);

    await send(interaction, 'the deferral');
    const reply = await finalReply(interaction, /issue #\d+/, 'the issue reply');

    expect(github.issues).toHaveLength(1);
    expect(reply.content).toMatch(new RegExp(`(Commented on|Already up to date:) issue #${github.issues[0]!.number}`));
    expect(github.unexpected).toHaveLength(0);
  });

  test('file-issue of an image with no failure says so', async () => {
    const interaction = chatInput(fake, committer, 'file-issue', [{ name: 'image', type: 3, value: 'dcc_ok' }]);

    await send(interaction, 'the deferral');
    const reply = await finalReply(interaction, /failed/, 'the error');

    expect(reply.content).toContain('no failure of image dcc_ok is recorded');
    expect(github.issues).toHaveLength(1);
  });

  test('file-issue with an unknown run says so', async () => {
    const interaction = chatInput(fake, committer, 'file-issue', [{ name: 'image', type: 3, value: 'dcc_broken' }, { name: 'run', type: 3, value: '20200101-000000-dead' }]);

    await send(interaction, 'the deferral');
    const reply = await finalReply(interaction, /failed/, 'the error');

    expect(reply.content).toContain('in run 20200101-000000-dead');
  });

  test('stale button is rejected', async () => {
    const callback = await send(buttonPress(fake, committer, 'launch:dcc_ok', makeSnowflake(), fake.channelId), 'the rejection');

    expect(callback.data.flags & 64).toBe(64);
    expect(callback.data.content).toContain('belongs to an older drydock');
  });
});

describe('read-only commands', () => {
  test('logs shows the log tail and link', async () => {
    const callback = await send(chatInput(fake, outsider, 'logs', [{ name: 'image', type: 3, value: 'dcc_broken' }]), 'the logs');

    expect(callback.type).toBe(4);
    expect(callback.data.content).toMatch(/^\*\*dcc_broken\*\* in run \S+: failed/);
    expect(callback.data.content).toContain('about to fail');
    expect(callback.data.content).toMatch(/Full log: http:\/\/127\.0\.0\.1:9\/drydock\/runs\/\S+\/logs\/dcc_broken\/build/);
    expect(callback.data.content.length).toBeLessThanOrEqual(2000);
  });

  test('logs of a named run', async () => {
    const run = (store.db.prepare(`SELECT run_id FROM image_results WHERE image = 'dcc_ok' ORDER BY started_at LIMIT 1`).get() as { run_id: string }).run_id;

    const callback = await send(chatInput(fake, outsider, 'logs', [{ name: 'image', type: 3, value: 'dcc_ok' }, { name: 'run', type: 3, value: run }]), 'the logs');

    expect(callback.data.content).toContain(`**dcc_ok** in run ${run}: succeeded`);
  });

  test('logs of an unknown run says so', async () => {
    const callback = await send(chatInput(fake, outsider, 'logs', [{ name: 'image', type: 3, value: 'dcc_ok' }, { name: 'run', type: 3, value: 'nope' }]), 'the error');

    expect(callback.data.flags & 64).toBe(64);
    expect(callback.data.content).toBe('No build of dcc_ok in run nope is on record.');
  });

  test('status shows the matrix', async () => {
    const callback = await send(chatInput(fake, outsider, 'status'), 'the status');

    expect(callback.type).toBe(4);
    for (const image of ['dcc_ok', 'dcc_regress', 'dcc_broken']) expect(callback.data.content).toContain(image);
    expect(callback.data.content).toContain('http://127.0.0.1:9/drydock/?days=7');
  });

  test('status of one image and days', async () => {
    const callback = await send(chatInput(fake, outsider, 'status', [{ name: 'image', type: 3, value: 'dcc_ok' }, { name: 'days', type: 4, value: 3 }]), 'the status');

    expect(callback.data.content).toContain('dcc_ok');
    expect(callback.data.content).not.toContain('dcc_broken');
    expect(callback.data.content).toContain('?days=3');
  });

  test('status of an unknown image is rejected', async () => {
    const callback = await send(chatInput(fake, outsider, 'status', [{ name: 'image', type: 3, value: 'dcc_nope' }]), 'the rejection');

    expect(callback.data.flags & 64).toBe(64);
    expect(callback.data.content).toContain('No image is named dcc_nope');
  });

  test('schedule shows the next nightly', async () => {
    const callback = await send(chatInput(fake, outsider, 'schedule'), 'the schedule');

    expect(callback.data.content).toMatch(/^Next nightly: 2025-01-11 05:00 UTC \(`0 5 \* \* \*`, UTC\)\.$/);
  });
});

describe('cancel command', () => {
  test('cancels a running rebuild', async () => {
    commitFiles(repo, { 'docker/Dockerfile.dcc_slow': `FROM ${BUSYBOX_IMAGE}\nRUN sleep 120\n` }, 'Make an image slow');
    const rebuild = chatInput(fake, committer, 'rebuild', [{ name: 'images', type: 3, value: 'dcc_slow' }]);
    expect((await send(rebuild, 'the deferral')).type).toBe(5);
    const job = await fake.waitFor(() => bot.queue.listRunning().find((entry) => entry.runId !== undefined), 'the run id', 60_000);
    const runId = job.runId!;
    const schedule = await send(chatInput(fake, outsider, 'schedule'), 'the schedule');
    expect(schedule.data.content).toContain(`Running: ${runId} (rebuild of dcc_slow)`);

    const callback = await send(chatInput(fake, committer, 'cancel', [{ name: 'run', type: 3, value: runId }]), 'the cancel reply');
    await bot.queue.drain();

    expect(callback.data.content).toBe(`Cancelling ${runId}.`);
    expect(store.getRun(runId)?.status).toBe('cancelled');
    const reply = await finalReply(rebuild, /^Run /, 'the rebuild result');
    expect(reply.content).toMatch(new RegExp(`^Run ${runId} cancelled`));
  });

  test('unknown run is rejected', async () => {
    const callback = await send(chatInput(fake, committer, 'cancel', [{ name: 'run', type: 3, value: 'nope' }]), 'the rejection');

    expect(callback.data.flags & 64).toBe(64);
    expect(callback.data.content).toContain('No running or queued run is called nope');
  });

  test('non-committer is refused', async () => {
    const callback = await send(chatInput(fake, outsider, 'cancel', [{ name: 'run', type: 3, value: 'nope' }]), 'the refusal');

    expect(callback.data.flags & 64).toBe(64);
    expect(callback.data.content).toContain(`<@&${committerRole}>`);
  });
});

describe('nightly missed while down', () => {
  const missedNotices = () => fake.messagesIn(fake.channelId).filter((message) => message.content.includes('did not run, because drydock was not running'));

  test('is reported once after a restart', async () => {
    await bot.stop('cancel', Date.now() + 10_000);
    clock.advanceTo(new Date(Date.UTC(2025, 0, 11, 7, 30, 0)));
    bot = await startTestBot();
    await bot.outbox!.flush(Date.now() + 10_000);

    expect(missedNotices()).toHaveLength(1);
    expect(missedNotices()[0]!.content).toContain('The nightly due at 2025-01-11 05:00 UTC');
    expect(bot.scheduler?.nextRun?.toISOString()).toBe('2025-01-12T05:00:00.000Z');

    await bot.stop('cancel', Date.now() + 10_000);
    clock.advanceTo(new Date(Date.UTC(2025, 0, 11, 8, 0, 0)));
    bot = await startTestBot();
    await bot.outbox!.flush(Date.now() + 10_000);

    expect(missedNotices()).toHaveLength(1);
    fake.assertClean();
  });
});

describe('promote command', () => {
  test('non-committer is refused', async () => {
    const callback = await send(chatInput(fake, outsider, 'promote', [{ name: 'image', type: 3, value: 'dcc_ok' }, { name: 'tag', type: 3, value: 'latest' }]), 'the refusal');

    expect(callback.data.flags & 64).toBe(64);
    expect(callback.data.content).toContain(`<@&${committerRole}>`);
  });

  test('committer is told why a tag cannot be promoted', async () => {
    const interaction = chatInput(fake, committer, 'promote', [{ name: 'image', type: 3, value: 'dcc_ok' }, { name: 'tag', type: 3, value: 'no-such-tag' }]);

    await send(interaction, 'the deferral');
    const reply = await finalReply(interaction, /^(Cannot promote: |Refused)|\nRefused: /, 'the explanation');

    expect(reply.content).toContain('no-such-tag');
    expect(reply.components ?? []).toEqual([]);
  });
});
