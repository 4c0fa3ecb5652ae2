import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { createSilentLogger } from '../src/logger.js';
import { Outbox } from '../src/outbox/outbox.js';
import { OutboxStore } from '../src/outbox/outbox-store.js';
import { createOutboxRest, RestOutboxTransport } from '../src/outbox/rest-transport.js';
import { Store } from '../src/store/store.js';
import { FakeDiscord } from './fakes/discord/fake-discord.js';

const TOKEN = 'fake-bot-token-outbox';

let fake: FakeDiscord;
let dir: string;
let stores: Store[];

beforeEach(async () => {
  fake = await FakeDiscord.start();
  dir = mkdtempSync(path.join(tmpdir(), 'drydock-outbox-'));
  stores = [];
});

afterEach(async () => {
  for (const store of stores) store.close();
  await fake.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A clock the test moves by hand; retry delays pass without waiting. */
class ManualClock {
  constructor(public time = Date.UTC(2025, 0, 10, 5, 0, 0)) {}
  now = () => this.time;
  advance(ms: number): void {
    this.time += ms;
  }
}

function openOutbox(clock: ManualClock, apiUrl = fake.apiUrl): Outbox {
  const store = Store.open(path.join(dir, 'drydock.db'));
  stores.push(store);
  return new Outbox({
    store: new OutboxStore(store.db),
    transport: new RestOutboxTransport(createOutboxRest(TOKEN, apiUrl)),
    logger: createSilentLogger(),
    clock,
    firstRetryDelayMs: 1_000,
  });
}

/** Runs delivery passes, moving the clock to each next due time, until nothing is pending. */
async function deliverAll(outbox: Outbox, clock: ManualClock, maxPasses = 50): Promise<number> {
  let passes = 0;
  for (; passes < maxPasses; passes++) {
    const pass = await outbox.deliverDue();
    if (pass.nextDueAt === undefined) return passes + 1;
    clock.time = Math.max(clock.time, pass.nextDueAt);
  }
  throw new Error(`still pending after ${maxPasses} passes`);
}

test('delivers a create and its edits in order', async () => {
  const clock = new ManualClock();
  const outbox = openOutbox(clock);

  outbox.enqueue({ messageKey: 'summary:a', action: 'create', channelId: fake.channelId, payload: { content: 'run started' } });
  await outbox.deliverDue();
  outbox.enqueue({ messageKey: 'summary:a', action: 'edit', channelId: fake.channelId, payload: { content: '1 of 2 done' } });
  await outbox.deliverDue();
  outbox.enqueue({ messageKey: 'summary:a', action: 'edit', channelId: fake.channelId, payload: { content: 'finished' } });
  await outbox.deliverDue();

  const messages = fake.messagesIn(fake.channelId);
  expect(messages).toHaveLength(1);
  expect(messages[0]!.content).toBe('finished');
  expect(messages[0]!.edits).toBe(2);
  expect(outbox.messageIdOf('summary:a')).toBe(messages[0]!.id);
  fake.assertClean();
});

test('collapses waiting edits into the last one', async () => {
  const clock = new ManualClock();
  const outbox = openOutbox(clock);

  outbox.enqueue({ messageKey: 'summary:b', action: 'create', channelId: fake.channelId, payload: { content: 'v0' } });
  for (let version = 1; version <= 5; version++) {
    outbox.enqueue({ messageKey: 'summary:b', action: 'edit', channelId: fake.channelId, payload: { content: `v${version}` } });
  }
  await deliverAll(outbox, clock);

  expect(fake.requestsTo('POST', /\/channels\/\d+\/messages$/)).toHaveLength(1);
  expect(fake.requestsTo('PATCH', /\/channels\/\d+\/messages\/\d+$/)).toHaveLength(1);
  expect(fake.messagesIn(fake.channelId)[0]!.content).toBe('v5');
});

test('500 then 429 loses nothing and duplicates nothing', async () => {
  const clock = new ManualClock();
  const outbox = openOutbox(clock);
  fake.addFaults(
    { method: 'POST', status: 500 },
    { method: 'POST', status: 502, afterServing: true },
    { method: 'POST', status: 429, retryAfterSeconds: 30 },
    { method: 'PATCH', status: 429, retryAfterSeconds: 30 },
    { method: 'PATCH', status: 503 },
  );

  outbox.enqueue({ messageKey: 'summary:c', action: 'create', channelId: fake.channelId, payload: { content: 'started' } });
  outbox.enqueue({ messageKey: 'summary:c', action: 'edit', channelId: fake.channelId, payload: { content: 'final' } });
  outbox.enqueue({ messageKey: 'note:c1', action: 'create', channelId: fake.channelId, payload: { content: 'first note' } });
  outbox.enqueue({ messageKey: 'note:c2', action: 'create', channelId: fake.channelId, payload: { content: 'second note' } });
  const startedAt = clock.time;
  await deliverAll(outbox, clock);

  expect(fake.pendingFaults()).toBe(0);
  expect(outbox.pendingCount()).toBe(0);
  const contents = fake.messagesIn(fake.channelId).map((message) => message.content).sort();
  expect(contents).toEqual(['final', 'first note', 'second note']);
  // The 429s held their items for the 30 s of retry-after.
  expect(clock.time - startedAt).toBeGreaterThanOrEqual(30_000);
  fake.assertClean();
});

test('global 429 holds every item', async () => {
  const clock = new ManualClock();
  const outbox = openOutbox(clock);
  fake.addFaults({ method: 'POST', status: 429, retryAfterSeconds: 0.2, global: true });

  outbox.enqueue({ messageKey: 'note:g1', action: 'create', channelId: fake.channelId, payload: { content: 'one' } });
  outbox.enqueue({ messageKey: 'note:g2', action: 'create', channelId: fake.channelId, payload: { content: 'two' } });
  const first = await outbox.deliverDue();

  expect(first.delivered).toBe(0);
  expect(fake.requestsTo('POST', /messages$/)).toHaveLength(1);
  expect(first.nextDueAt).toBeGreaterThanOrEqual(clock.time + 200);
  expect(first.nextDueAt).toBeLessThan(clock.time + 1_000);
});

test('rejected message fails alone', async () => {
  const clock = new ManualClock();
  const outbox = openOutbox(clock);

  outbox.enqueue({ messageKey: 'note:bad', action: 'create', channelId: fake.channelId, payload: { content: 'x'.repeat(2001) } });
  outbox.enqueue({ messageKey: 'note:bad', action: 'edit', channelId: fake.channelId, payload: { content: 'edit of nothing' } });
  outbox.enqueue({ messageKey: 'note:good', action: 'create', channelId: fake.channelId, payload: { content: 'fine' } });
  const pass = await outbox.deliverDue();

  expect(pass.failed).toBe(2);
  expect(pass.delivered).toBe(1);
  expect(outbox.pendingCount()).toBe(0);
  expect(fake.messagesIn(fake.channelId).map((message) => message.content)).toEqual(['fine']);
  expect(fake.requestsTo('PATCH', /.*/)).toHaveLength(0);
});

test('thread waits for its starter and posts resolve the thread id', async () => {
  const clock = new ManualClock();
  const outbox = openOutbox(clock);
  fake.addFaults({ method: 'POST', path: /\/threads$/, status: 500, afterServing: true });

  outbox.enqueue({ messageKey: 'post:1', action: 'create', channelId: '{{id:thread:x}}', payload: { content: 'log tail' } });
  outbox.enqueue({ messageKey: 'thread:x', action: 'thread', channelId: fake.channelId, payload: { starterKey: 'start:x', name: 'ci_x: build failed' } });
  outbox.enqueue({ messageKey: 'start:x', action: 'create', channelId: fake.channelId, payload: { content: 'ci_x failed' } });
  await deliverAll(outbox, clock);

  const threads = fake.threads();
  expect(threads).toHaveLength(1);
  expect(threads[0]!.name).toBe('ci_x: build failed');
  expect(fake.messagesIn(threads[0]!.id).map((message) => message.content)).toEqual(['log tail']);
  // The first thread request was served but answered 500; the retry met "already created".
  expect(fake.requestsTo('POST', /\/threads$/).map((request) => request.status)).toEqual([500, 400]);
  fake.assertClean();
});

test('restart delivers items left pending', async () => {
  const clock = new ManualClock();
  const down = await FakeDiscord.start();
  const deadUrl = down.apiUrl;
  await down.close();
  const before = openOutbox(clock, deadUrl);
  before.enqueue({ messageKey: 'summary:r', action: 'create', channelId: fake.channelId, payload: { content: 'started' } });
  before.enqueue({ messageKey: 'summary:r', action: 'edit', channelId: fake.channelId, payload: { content: 'finished' } });
  await before.deliverDue();
  expect(before.pendingCount()).toBe(2);
  stores.pop()!.close();

  const after = openOutbox(clock);
  clock.advance(60_000);
  await deliverAll(after, clock);

  expect(after.pendingCount()).toBe(0);
  const messages = fake.messagesIn(fake.channelId);
  expect(messages).toHaveLength(1);
  expect(messages[0]!.content).toBe('finished');
});

test('lost create response is not posted twice', async () => {
  const clock = new ManualClock();
  const outbox = openOutbox(clock);
  fake.addFaults({ method: 'POST', path: /messages$/, status: 503, afterServing: true });

  outbox.enqueue({ messageKey: 'note:lost', action: 'create', channelId: fake.channelId, payload: { content: 'once' } });
  await deliverAll(outbox, clock);

  const creates = fake.requestsTo('POST', /messages$/);
  expect(creates).toHaveLength(2);
  expect(creates[0]!.body.nonce).toBe(creates[1]!.body.nonce);
  expect(creates[1]!.body.enforce_nonce).toBe(true);
  expect(fake.messagesIn(fake.channelId)).toHaveLength(1);
});

/** Ten minutes: longer than the nonce window of the outbox and of the fake Discord. */
const LONG_OUTAGE_MS = 10 * 60_000;

test('lost create after a long outage is found, not reposted', async () => {
  const clock = new ManualClock();
  fake.now = clock.now;
  const outbox = openOutbox(clock);
  fake.addFaults({ method: 'POST', path: /messages$/, status: 502, afterServing: true });
  outbox.enqueue({ messageKey: 'summary:long', action: 'create', channelId: fake.channelId, payload: { content: '', embeds: [{ title: 'Nightly x: running', description: 'dc_a …' }] } });
  outbox.enqueue({ messageKey: 'summary:long', action: 'edit', channelId: fake.channelId, payload: { content: '', embeds: [{ title: 'Nightly x: succeeded', description: 'dc_a ✓' }] } });
  // Another bot message posted in the meantime is not taken for it.
  outbox.enqueue({ messageKey: 'note:other', action: 'create', channelId: fake.channelId, payload: { content: 'unrelated' } });
  await outbox.deliverDue();
  expect(fake.messagesIn(fake.channelId)).toHaveLength(2);

  clock.advance(LONG_OUTAGE_MS);
  await deliverAll(outbox, clock);

  const messages = fake.messagesIn(fake.channelId);
  expect(messages).toHaveLength(2);
  const summary = messages.find((message) => message.embeds[0]?.title?.startsWith('Nightly'))!;
  expect(summary.embeds[0].title).toBe('Nightly x: succeeded');
  expect(outbox.messageIdOf('summary:long')).toBe(summary.id);
  const lookups = fake.requestsTo('GET', /^\/channels\/\d+\/messages$/);
  expect(lookups).toHaveLength(1);
  expect(lookups[0]!.query.get('limit')).toBe('100');
  expect(BigInt(lookups[0]!.query.get('after')!)).toBeLessThan(BigInt(summary.id));
  expect(fake.requestsTo('POST', /messages$/)).toHaveLength(2);
  fake.assertClean();
});

test('create never posted is sent after the lookup', async () => {
  const clock = new ManualClock();
  fake.now = clock.now;
  const outbox = openOutbox(clock);
  fake.addFaults({ method: 'POST', path: /messages$/, status: 500 });
  outbox.enqueue({ messageKey: 'note:never', action: 'create', channelId: fake.channelId, payload: { content: 'posted once' } });
  await outbox.deliverDue();
  expect(fake.messagesIn(fake.channelId)).toHaveLength(0);

  clock.advance(LONG_OUTAGE_MS);
  await deliverAll(outbox, clock);

  expect(fake.messagesIn(fake.channelId).map((message) => message.content)).toEqual(['posted once']);
  expect(fake.requestsTo('GET', /^\/channels\/\d+\/messages$/)).toHaveLength(1);
  expect(fake.requestsTo('GET', /^\/users\/@me$/)).toHaveLength(1);
  fake.assertClean();
});

test('lookup pages past a busy channel', async () => {
  const clock = new ManualClock();
  fake.now = clock.now;
  const outbox = openOutbox(clock);
  // 150 older bot messages fill the first page of the listing after the item's time.
  for (let index = 0; index < 150; index++) fake.postAsBot(fake.channelId, { content: `hay ${index}` });
  fake.addFaults({ method: 'POST', path: /messages$/, status: 502, afterServing: true });
  outbox.enqueue({ messageKey: 'note:busy', action: 'create', channelId: fake.channelId, payload: { content: 'needle' } });
  await outbox.deliverDue();

  clock.advance(LONG_OUTAGE_MS);
  await deliverAll(outbox, clock);

  expect(fake.messagesIn(fake.channelId).filter((message) => message.content === 'needle')).toHaveLength(1);
  expect(fake.requestsTo('GET', /^\/channels\/\d+\/messages$/)).toHaveLength(2);
  expect(outbox.pendingCount()).toBe(0);
  fake.assertClean();
});

test('edit with a file uploads it as an attachment', async () => {
  const clock = new ManualClock();
  const outbox = openOutbox(clock);
  const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3]);

  outbox.enqueue({ messageKey: 'summary:file', action: 'create', channelId: fake.channelId, payload: { content: 'started' } });
  outbox.enqueue({
    messageKey: 'summary:file',
    action: 'edit',
    channelId: fake.channelId,
    payload: { content: 'done', embeds: [{ title: 't', image: { url: 'attachment://matrix.png' } }], attachments: [{ id: 0, filename: 'matrix.png' }], files: [{ name: 'matrix.png', base64: png.toString('base64') }] },
  });
  await deliverAll(outbox, clock);

  const message = fake.messagesIn(fake.channelId)[0]!;
  expect(message.attachments).toHaveLength(1);
  expect(message.attachments[0]!.filename).toBe('matrix.png');
  expect(message.attachments[0]!.data.equals(png)).toBe(true);
  expect(message.embeds[0].image.url).toBe('attachment://matrix.png');
  fake.assertClean();
});

test('fake rejects an image without its upload', async () => {
  const clock = new ManualClock();
  const outbox = openOutbox(clock);

  outbox.enqueue({ messageKey: 'note:noimage', action: 'create', channelId: fake.channelId, payload: { embeds: [{ title: 't', image: { url: 'attachment://missing.png' } }] } });
  const pass = await outbox.deliverDue();

  expect(pass.failed).toBe(1);
  expect(fake.messagesIn(fake.channelId)).toHaveLength(0);
});
