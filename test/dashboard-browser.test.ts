import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { OUTCOME_STYLES, type Outcome } from '../src/dashboard/outcome.js';
import { startDashboard, type RunningDashboard } from '../src/dashboard/server.js';
import { createSilentLogger } from '../src/logger.js';
import { seedStore, type SeededStore } from './helpers/dashboard-seed.js';

const NOW = new Date('2026-03-10T12:00:00.000Z');
const HOSTILE_SUBJECT = '<script>window.__injected = true</script><b>bold</b> & "quoted"';

/** Three images over ten days, covering every outcome; day 3 has no run at all. */
const PLAN: Record<string, Outcome[]> = {
  img_a: ['validated', 'validated', 'build-failed', 'not-run', 'validated', 'unchanged', 'validated', 'regression', 'validated', 'running'],
  img_b: ['built', 'validation-failed', 'validated', 'not-run', 'cancelled', 'build-failed', 'build-failed', 'validated', 'validated', 'validated'],
  img_c: ['validated', 'skipped', 'validated', 'not-run', 'validated', 'validated', 'validation-failed', 'validated', 'not-run', 'running'],
};

let seeded: SeededStore;
let dashboard: RunningDashboard;
let context: BrowserContext;
let userDataDir: string;

beforeAll(async () => {
  seeded = seedStore({ plan: PLAN, now: NOW, subjects: { 6: HOSTILE_SUBJECT } });
  dashboard = await startDashboard({
    store: seeded.store,
    listen: '127.0.0.1:0',
    sourceRepo: null,
    logger: createSilentLogger(),
    clock: () => NOW,
    logPollIntervalMs: 50,
  });
  userDataDir = mkdtempSync(path.join(tmpdir(), 'drydock-chromium-'));
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
});

afterAll(async () => {
  await context?.close();
  await dashboard?.close();
  seeded?.store.close();
  if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
});

async function openPage(pathAndQuery: string): Promise<Page> {
  const page = await context.newPage();
  const response = await page.goto(`${dashboard.url}${pathAndQuery}`);
  expect(response?.status()).toBe(200);
  return page;
}

test('matrix cells show the glyph of each outcome', async () => {
  const page = await openPage('/?days=10');

  for (const [image, outcomes] of Object.entries(PLAN)) {
    for (const [day, outcome] of outcomes.entries()) {
      const date = new Date(Date.UTC(2026, 2, 1 + day)).toISOString().slice(0, 10);
      const cell = page.locator(`td.cell[data-image="${image}"][data-date="${date}"]`);
      await expect.poll(() => cell.textContent(), { message: `${image} on ${date}` }).toBe(OUTCOME_STYLES[outcome].glyph);
      expect(await cell.getAttribute('class'), `${image} on ${date}`).toBe(`cell o-${outcome}`);
      expect(await cell.getAttribute('title'), `${image} on ${date}`).toContain(OUTCOME_STYLES[outcome].label);
    }
  }
  await page.close();
});

test('matrix cell links open their run', async () => {
  const page = await openPage('/?days=10');

  for (const [image, outcomes] of Object.entries(PLAN)) {
    for (const [day, outcome] of outcomes.entries()) {
      const date = new Date(Date.UTC(2026, 2, 1 + day)).toISOString().slice(0, 10);
      const link = page.locator(`td.cell[data-image="${image}"][data-date="${date}"] a`);
      if (outcome === 'not-run') {
        expect(await link.count(), `${image} on ${date} has no link`).toBe(0);
        continue;
      }

      await link.click();
      await expect.poll(() => page.locator('h1').textContent()).toBe(`Run ${seeded.runIds[day]}`);
      const section = page.locator(`section#image-${image} h2`);
      expect(await section.textContent(), `${image} on ${date}`).toContain(OUTCOME_STYLES[outcome].label);
      await page.goBack();
    }
  }
  await page.close();
});

test('matrix rows show streak and flips', async () => {
  const page = await openPage('/?days=10');

  // img_b: built, red, validated, -, cancelled, red, red, validated, validated, validated → green streak 3, flips 2.
  const cells = page.locator('tr:has(th a:text-is("img_b")) td:not(.cell)');
  expect(await cells.nth(0).textContent()).toBe('✓ 3');
  expect(await cells.nth(1).textContent()).toBe('2');
  await page.close();
});

test('commit subject holding HTML renders as text', async () => {
  const page = await openPage(`/runs/${seeded.runIds[6]}`);

  const commit = page.locator('dl.facts dt:text-is("commit") + dd');
  expect(await commit.textContent()).toContain(HOSTILE_SUBJECT);
  expect(await page.locator('main b').count()).toBe(0);
  expect(await page.evaluate(() => (window as unknown as { __injected?: boolean }).__injected)).toBeUndefined();

  const matrix = await openPage('/?days=10');
  expect(await matrix.locator('main b').count()).toBe(0);
  expect(await matrix.evaluate(() => (window as unknown as { __injected?: boolean }).__injected)).toBeUndefined();
  const header = matrix.locator('thead th.day').nth(6).locator('a');
  expect(await header.getAttribute('title')).toBe(HOSTILE_SUBJECT);
  await page.close();
  await matrix.close();
});

test('running build log shows appended lines', async () => {
  const logPath = seeded.logPaths.get('img_a@9')!;
  const page = await openPage(`/runs/${seeded.runIds[9]}/logs/img_a/build`);
  const log = page.locator('pre#log');
  expect(await log.textContent()).toContain('building img_a');
  expect(await page.locator('#log-status').textContent()).toContain('running');

  appendFileSync(logPath, '2026-03-10T05:10:00.000Z Step 2/2 : RUN make <all>\n');
  await expect.poll(() => log.textContent()).toContain('Step 2/2 : RUN make <all>');
  appendFileSync(logPath, '2026-03-10T05:10:01.000Z second appended line\n');
  await expect.poll(() => log.textContent()).toContain('second appended line');

  // The line arrived once, not again after the second append.
  const text = (await log.textContent()) ?? '';
  expect(text.split('RUN make <all>').length - 1).toBe(1);
  expect(await page.locator('pre#log b, pre#log all').count()).toBe(0);

  const build = seeded.store.listImageResults(seeded.runIds[9]!).find((result) => result.image === 'img_a')!;
  seeded.store.saveImageResult({ ...build, status: 'succeeded', durationMs: 1000, finishedAt: NOW.toISOString() });
  await expect.poll(() => page.locator('#log-status').textContent()).toBe('build succeeded.');
  await page.close();
});

test('matrix repaints a cell that changed', async () => {
  const page = await openPage('/?days=10');
  const cell = page.locator('td.cell[data-image="img_c"][data-date="2026-03-10"]');
  expect(await cell.textContent()).toBe(OUTCOME_STYLES.running.glyph);

  const build = seeded.store.listImageResults(seeded.runIds[9]!).find((result) => result.image === 'img_c')!;
  seeded.store.saveImageResult({ ...build, status: 'failed', cause: 'build', error: 'boom', durationMs: 1000, finishedAt: NOW.toISOString() });
  // The page polls every 15 s.
  await expect.poll(() => cell.textContent(), { timeout: 25_000 }).toBe(OUTCOME_STYLES['build-failed'].glyph);
  expect(await cell.getAttribute('class')).toBe('cell o-build-failed');
  await page.close();
});
