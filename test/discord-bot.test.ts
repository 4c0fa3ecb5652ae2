import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { readEnv } from '../src/config/env.js';
import { loadSettings } from '../src/config/load-config.js';
import { startBot, type Bot } from '../src/discord/bot.js';
import { EnginePool } from '../src/engine/engine-pool.js';
import { createSilentLogger } from '../src/logger.js';
import { createPipelineRunner } from '../src/scheduler/run-pipeline.js';
import { Store } from '../src/store/store.js';
import { FakeDiscord } from './fakes/discord/fake-discord.js';
import { autocomplete, chatInput, makeUser } from './fakes/discord/interactions.js';
import { makeSnowflake } from './fakes/discord/snowflake.js';
import { FakeClock } from './helpers/fake-clock.js';
import { createGitRepo } from './helpers/git-repo.js';
import { BUSYBOX_IMAGE, removeImages } from './helpers/images.js';

const committerRole = makeSnowflake();
const onCallUser = makeSnowflake();
const committer = makeUser('alice', [committerRole]);
const outsider = makeUser('mallory');

let fake: FakeDiscord;
let bot: Bot;
let store: Store;
let clock: FakeClock;
let workDir: string;

beforeAll(async () => {
  fake = await FakeDiscord.start();
  fake.roleIds.push(committerRole);
  const repo = createGitRepo({
    'docker/Dockerfile.dc_ok': `FROM ${BUSYBOX_IMAGE}\nRUN echo built > /ok.txt\n`,
    'docker/Dockerfile.dc_broken': `FROM ${BUSYBOX_IMAGE}\nRUN echo token=sekret-value-123 && echo about to fail && exit 3\n`,
  });
  workDir = mkdtempSync(path.join(tmpdir(), 'drydock-bot-'));
  writeFileSync(
    path.join(workDir, 'drydock.yml'),
    [
      `source: { repo: ${JSON.stringify(repo)} }`,
      'build: { pull: false }',
      'dashboard: { publicUrl: "http://127.0.0.1:9/drydock" }',
      'discord:',
      `  guildId: "${fake.guildId}"`,
      `  channelId: "${fake.channelId}"`,
      `  committers: { roles: ["${committerRole}"] }`,
      `  oncall: { rotation: ["${onCallUser}"] }`,
      '  summaryEditSeconds: 1',
      'schedule: { cron: "0 5 * * *", timezone: UTC }',
      '',
    ].join('\n'),
  );
  const env = readEnv({ DISCORD_TOKEN: 'fake-bot-token', DISCORD_API_URL: fake.apiUrl, DRYDOCK_TEST_SECRET: 'sekret-value-123' });
  const settings = loadSettings({}, env, workDir);
  const logger = createSilentLogger();
  store = Store.open(path.join(settings.stateDir, 'drydock.db'));
  clock = new FakeClock(Date.UTC(2025, 0, 10, 4, 59, 0));
  const pool = EnginePool.fromConfig(settings.engines, env, logger, 2);
  const runner = createPipelineRunner({ settings, env, pool, store, logger });
  process.env.DRYDOCK_TEST_SECRET = 'sekret-value-123';
  bot = await startBot({ settings, env, store, logger, clock, runner });
});

afterAll(async () => {
  await bot?.stop('cancel', Date.now() + 5_000);
  store?.close();
  await fake?.close();
  delete process.env.DRYDOCK_TEST_SECRET;
  removeImages(['dc_ok:latest', 'dc_broken:latest']);
  rmSync(workDir, { recursive: true, force: true });
});

describe('drydock bot against a fake Discord', () => {
  test('logs in and registers the guild commands', async () => {
    const puts = fake.requestsTo('PUT', /^\/applications\/\d+\/guilds\/\d+\/commands$/);
    expect(puts).toHaveLength(1);
    expect(puts[0]!.path).toBe(`/applications/${fake.applicationId}/guilds/${fake.guildId}/commands`);
    const names = (puts[0]!.body as { name: string }[]).map((command) => command.name).sort();
    expect(names).toEqual(['cancel', 'file-issue', 'logs', 'oncall', 'promote', 'rebuild', 'schedule', 'status', 'validate']);
    expect(bot.scheduler?.nextRun?.toISOString()).toBe('2025-01-10T05:00:00.000Z');
    fake.assertClean();
  });

  test('nightly posts one summary and a thread', async () => {
    clock.advanceTo(new Date(Date.UTC(2025, 0, 10, 5, 0, 0)));
    const job = bot.queue.listRunning()[0];
    expect(job?.kind).toBe('nightly');
    await bot.queue.drain();
    await bot.outbox!.flush(Date.now() + 20_000);

    const channelMessages = fake.messagesIn(fake.channelId);
    const summaries = channelMessages.filter((message) => message.embeds[0]?.title?.startsWith('Nightly'));
    expect(summaries).toHaveLength(1);
    const summary = summaries[0]!;
    expect(summary.embeds[0].title).toMatch(/: failed$/);
    expect(summary.embeds[0].description).toMatch(/✓ \*\*dc_ok\*\* succeeded .* tests passed/);
    expect(summary.embeds[0].description).toMatch(/✗ \*\*dc_broken\*\* failed/);
    expect(summary.embeds[0].description).toContain('[log](http://127.0.0.1:9/drydock/runs/');

    const threads = fake.threads();
    expect(threads).toHaveLength(1);
    expect(threads[0]!.name).toMatch(/^dc_broken: /);
    expect(summary.embeds[0].description).toContain(`<#${threads[0]!.id}>`);
    const posts = fake.messagesIn(threads[0]!.id);
    expect(posts).toHaveLength(1);
    expect(posts[0]!.content).toContain(`<@${onCallUser}>`);
    expect(posts[0]!.embeds[0].description).toContain('about to fail');
    expect(posts[0]!.embeds[0].description).not.toContain('sekret-value-123');
    const labels = posts[0]!.components[0].components.map((button: { label: string }) => button.label);
    expect(labels).toEqual(['Rebuild', 'File GitHub issue', 'Full log']);
    fake.assertClean();
  });

  test('same failure next night reuses the thread', async () => {
    clock.advanceTo(new Date(Date.UTC(2025, 0, 11, 5, 0, 0)));
    await bot.queue.drain();
    await bot.outbox!.flush(Date.now() + 20_000);

    expect(fake.threads()).toHaveLength(1);
    expect(fake.messagesIn(fake.threads()[0]!.id)).toHaveLength(2);
    expect(fake.messagesIn(fake.channelId).filter((message) => message.embeds[0]?.title?.startsWith('Nightly'))).toHaveLength(2);
  });

  test('rebuild by a non-committer is refused and audited', async () => {
    const interaction = chatInput(fake, outsider, 'rebuild', [{ name: 'images', type: 3, value: 'dc_ok' }]);
    fake.dispatch('INTERACTION_CREATE', interaction);

    const callback = await fake.waitFor(() => fake.callbacks.get(interaction.id)?.[0], 'the refusal');
    expect(callback.type).toBe(4);
    expect(callback.data.flags & 64).toBe(64);
    expect(callback.data.content).toContain(`<@&${committerRole}>`);
    const audit = store.db.prepare('SELECT * FROM discord_audit_log WHERE user_id = ?').all(outsider.id) as { command: string; allowed: number }[];
    expect(audit).toEqual([expect.objectContaining({ command: 'rebuild', allowed: 0 })]);
    expect(bot.queue.listRunning()).toHaveLength(0);
  });

  test('rebuild by a committer builds and edits its reply', async () => {
    const interaction = chatInput(fake, committer, 'rebuild', [{ name: 'images', type: 3, value: 'dc_ok' }]);
    fake.dispatch('INTERACTION_CREATE', interaction);

    const callback = await fake.waitFor(() => fake.callbacks.get(interaction.id)?.[0], 'the deferral');
    expect(callback.type).toBe(5);
    const reply = await fake.waitFor(() => {
      const original = fake.originals.get(interaction.token);
      return original?.content?.startsWith('Run ') ? original : undefined;
    }, 'the final reply', 120_000);
    expect(reply.content).toMatch(/^Run \S+ succeeded/);
    expect(reply.content).toContain('✓ dc_ok succeeded');
    const audit = store.db.prepare('SELECT * FROM discord_audit_log WHERE user_id = ?').all(committer.id) as { allowed: number }[];
    expect(audit.map((row) => row.allowed)).toEqual([1]);
  });

  test('autocomplete lists matching images', async () => {
    const interaction = autocomplete(fake, outsider, 'rebuild', 'images', 'dc_b');
    fake.dispatch('INTERACTION_CREATE', interaction);

    const callback = await fake.waitFor(() => fake.callbacks.get(interaction.id)?.[0], 'the choices');
    expect(callback.type).toBe(8);
    expect(callback.data.choices).toEqual([{ name: 'dc_broken', value: 'dc_broken' }]);

    const list = autocomplete(fake, outsider, 'rebuild', 'images', 'dc_broken,dc_');
    fake.dispatch('INTERACTION_CREATE', list);
    const listCallback = await fake.waitFor(() => fake.callbacks.get(list.id)?.[0], 'the list choices');
    expect(listCallback.data.choices.map((choice: { value: string }) => choice.value)).toEqual(['dc_broken,dc_broken', 'dc_broken,dc_ok']);
  });

  test.each([
    ['unknown image', [{ name: 'images', type: 3, value: 'nope' }], 'No image is named nope'],
    ['malformed ref', [{ name: 'images', type: 3, value: 'dc_ok' }, { name: 'ref', type: 3, value: 'main..evil' }], 'is not a valid git ref'],
    ['oversized name', [{ name: 'images', type: 3, value: 'a'.repeat(300) }], 'is not an image name'],
    ['empty list', [{ name: 'images', type: 3, value: ' , ' }], 'Name at least one image'],
  ])('rebuild rejects %s', async (_case, options, message) => {
    const interaction = chatInput(fake, committer, 'rebuild', options);
    fake.dispatch('INTERACTION_CREATE', interaction);

    const callback = await fake.waitFor(() => fake.callbacks.get(interaction.id)?.[0], 'the rejection');
    expect(callback.data.flags & 64).toBe(64);
    expect(callback.data.content).toContain(message);
    expect(bot.queue.listRunning()).toHaveLength(0);
  });

  test('oncall set overrides the rotation', async () => {
    const stand = makeUser('bob');
    const set = chatInput(fake, committer, 'oncall', [{ name: 'set', type: 1, options: [{ name: 'user', type: 6, value: stand.id }] }], {
      users: { [stand.id]: { id: stand.id, username: 'bob', discriminator: '0', avatar: null, global_name: 'bob' } },
    });
    fake.dispatch('INTERACTION_CREATE', set);
    await fake.waitFor(() => fake.callbacks.get(set.id)?.[0], 'the set reply');

    const show = chatInput(fake, outsider, 'oncall', [{ name: 'show', type: 1 }]);
    fake.dispatch('INTERACTION_CREATE', show);
    const callback = await fake.waitFor(() => fake.callbacks.get(show.id)?.[0], 'the show reply');
    expect(callback.data.content).toContain(`<@${stand.id}> is on call`);
    fake.assertClean();
  });
});
