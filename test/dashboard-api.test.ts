import { spawn } from 'node:child_process';
import { appendFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Outcome } from '../src/dashboard/outcome.js';
import { startDashboard, type RunningDashboard } from '../src/dashboard/server.js';
import { createSilentLogger } from '../src/logger.js';
import { PROJECT_ROOT, runCli } from './helpers/cli.js';
import { seedStore, type SeededStore } from './helpers/dashboard-seed.js';

const NOW = new Date('2026-03-10T12:00:00.000Z');
const PLAN: Record<string, Outcome[]> = {
  img_a: ['validated', 'validated', 'regression', 'validated', 'running'],
  img_b: ['validated', 'build-failed', 'build-failed', 'validation-failed', 'validated'],
};

let seeded: SeededStore;
let dashboard: RunningDashboard;

beforeAll(async () => {
  seeded = seedStore({ plan: PLAN, now: NOW, subjects: { 2: '<img src=x onerror=alert(1)>' } });
  dashboard = await startDashboard({
    store: seeded.store,
    listen: '127.0.0.1:0',
    publicUrl: 'https://ci.example.invalid/drydock/',
    sourceRepo: null,
    logger: createSilentLogger(),
    clock: () => NOW,
    logPollIntervalMs: 20,
  });
});

afterAll(async () => {
  await dashboard?.close();
  seeded?.store.close();
});

async function get(pathAndQuery: string, headers: Record<string, string> = {}) {
  const response = await fetch(`${dashboard.url}${pathAndQuery}`, { headers });
  return { status: response.status, type: response.headers.get('content-type') ?? '', headers: response.headers, body: await response.text() };
}

describe('JSON API', () => {
  test('matrix lists outcomes and absolute links', async () => {
    const response = await get('/api/matrix?days=5');
    expect(response.status).toBe(200);
    expect(response.type).toContain('application/json');

    const matrix = JSON.parse(response.body);
    expect(matrix.days).toBe(5);
    expect(matrix.columns.map((column: { date: string }) => column.date)).toEqual(['2026-03-06', '2026-03-07', '2026-03-08', '2026-03-09', '2026-03-10']);
    const imgB = matrix.rows.find((row: { image: string }) => row.image === 'img_b');
    expect(imgB.cells.map((cell: { outcome: string }) => cell.outcome)).toEqual(PLAN.img_b);
    expect(imgB.flips).toBe(1);
    expect(imgB.streak).toEqual({ health: 'green', length: 1 });
    expect(imgB.cells[0].url).toBe(`https://ci.example.invalid/drydock/runs/${seeded.runIds[0]}`);
    expect(imgB.cells[0].href).toBe(`/drydock/runs/${seeded.runIds[0]}`);
    expect(matrix.columns[2].commitUrl).toBe(`https://github.com/example/project/commit/${matrix.columns[2].commitHash}`);
  });

  test('runs lists newest first with a limit', async () => {
    const all = JSON.parse((await get('/api/runs')).body);
    expect(all.runs[0].id).toBe('validate-day04');
    expect(all.runs.map((run: { id: string }) => run.id)).toContain('run-day00');

    const two = JSON.parse((await get('/api/runs?limit=2')).body);
    expect(two.runs).toHaveLength(2);
    expect(two.runs[0].url).toMatch(/^https:\/\/ci\.example\.invalid\/drydock\/runs\//);
  });

  test('run shows tests, suspects and package changes', async () => {
    const response = await get(`/api/runs/${seeded.runIds[3]}`);
    expect(response.status).toBe(200);
    const details = JSON.parse(response.body);
    const imgB = details.images.find((image: { image: string }) => image.image === 'img_b');

    expect(imgB.outcome).toBe('validation-failed');
    expect(imgB.build.logUrl).toBe(`https://ci.example.invalid/drydock/runs/${seeded.runIds[3]}/logs/img_b/build`);
    expect(imgB.build).not.toHaveProperty('logPath');
    expect(imgB.validations[0].commands[0].junit.failures[0].name).toBe('test_add');
    expect(imgB.validations[0].commands[0].classification).toBe('source-failure');
    // img_b was green on day 0, then red on days 1 to 3: the suspect range starts at day 0 and the first red is day 1.
    expect(imgB.suspectRange.lastGreen.runId).toBe(seeded.runIds[0]);
    expect(imgB.suspectRange.firstRed.runId).toBe(seeded.runIds[1]);
    expect(imgB.suspectRange.compareUrl).toMatch(/^https:\/\/github\.com\/example\/project\/compare\/00c0ffe.+\.\.\.01c0ffe/);
    expect(imgB.packageChanges.baselineRunId).toBe(seeded.runIds[0]);
    expect(imgB.packageChanges.diff.python.changed.numpy).toEqual({ from: '1.0.0', to: '1.3.0' });
    expect(imgB.packageChanges.diff.debian.added).toEqual({ 'extra-3': '1.0' });
    expect(imgB.packageChanges.diff.debian.removed).toEqual({ 'extra-0': '1.0' });

    const imgA = details.images.find((image: { image: string }) => image.image === 'img_a');
    expect(imgA.outcome).toBe('validated');
    expect(imgA.suspectRange).toBeNull();
  });

  test('validate run shows its rebuild run', async () => {
    const details = JSON.parse((await get('/api/runs/validate-day02')).body);
    expect(details.run.kind).toBe('validate');
    expect(details.rebuildRun.id).toBe(seeded.runIds[2]);
    expect(details.images.find((image: { image: string }) => image.image === 'img_a').outcome).toBe('regression');
  });

  test('image shows history, last green and red, inventory', async () => {
    const image = JSON.parse((await get('/api/images/img_b')).body);
    expect(image.history.map((entry: { outcome: string }) => entry.outcome)).toEqual([...PLAN.img_b].reverse());
    expect(image.lastGreen.runId).toBe(seeded.runIds[4]);
    expect(image.lastRed.runId).toBe(seeded.runIds[3]);
    expect(image.inventory.python[0].packages.numpy).toBe('1.4.0');
    expect(image.badgeUrl).toBe('https://ci.example.invalid/drydock/badge/img_b.svg');
  });

  test('unknown runs and images return 404', async () => {
    for (const target of ['/api/runs/no-such-run', '/api/images/no_such_image']) {
      const response = await get(target);
      expect(response.status, target).toBe(404);
      expect(JSON.parse(response.body).error, target).toMatch(/no (run|image) no[-_]such/);
    }
  });
});

describe('pages', () => {
  test('unknown run, image, log and path return 404', async () => {
    for (const target of [
      '/runs/no-such-run',
      '/images/no_such_image',
      `/runs/${seeded.runIds[0]}/logs/no_such_image/build`,
      `/runs/${seeded.runIds[0]}/logs/img_a/compile`,
      `/runs/${seeded.runIds[0]}/logs/img_a/validate`,
      '/runs/no-such-run/logs/img_a/build',
      '/nothing/here',
    ]) {
      const response = await get(target);
      expect(response.status, target).toBe(404);
      expect(response.type, target).toContain('text/html');
    }
  });

  test('bad days values return 400', async () => {
    for (const days of ['0', '367', '-3', 'abc', '1.5', '7e1', '', '99999999999999999999']) {
      for (const route of ['/', '/api/matrix', '/matrix.svg', '/matrix.png']) {
        const response = await get(`${route}?days=${encodeURIComponent(days)}`);
        expect(response.status, `${route}?days=${days}`).toBe(400);
      }
    }
    const repeated = await get('/api/matrix?days=3&days=4');
    expect(repeated.status).toBe(400);
    expect(JSON.parse(repeated.body).error).toContain('give it once');
    expect((await get('/?days=366')).status).toBe(200);
  });

  test('other methods return 405', async () => {
    const response = await fetch(`${dashboard.url}/`, { method: 'POST' });
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('GET, HEAD');
  });

  test('pages carry a strict content security policy', async () => {
    const response = await get('/');
    expect(response.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
  });

  test('base path of the public URL is accepted', async () => {
    const response = await get(`/drydock/runs/${seeded.runIds[0]}`);
    expect(response.status).toBe(200);
    expect(response.body).toContain('href="/drydock/assets/dashboard.css"');
  });

  test('run page escapes the commit subject', async () => {
    const response = await get(`/runs/${seeded.runIds[2]}`);
    expect(response.body).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(response.body).not.toContain('<img src=x');
  });

  test('healthz reports ok', async () => {
    const response = await get('/healthz');
    expect(response.status).toBe(200);
    expect(JSON.parse(response.body).status).toBe('ok');
  });
});

describe('badges and images', () => {
  test('badge shows the latest outcome', async () => {
    const passing = await get('/badge/img_b.svg');
    expect(passing.status).toBe(200);
    expect(passing.type).toContain('image/svg+xml');
    expect(passing.body).toContain('img_b: passing');

    const running = await get('/badge/img_a.svg');
    expect(running.body).toContain('img_a: running');
  });

  test('badge of an unknown image is a 404 badge', async () => {
    const response = await get('/badge/%3Cscript%3E.svg');
    expect(response.status).toBe(404);
    expect(response.body).toContain('&lt;script&gt;: unknown image');
    expect(response.body).not.toContain('<script>');
  });

  test('matrix PNG is rendered from the SVG', async () => {
    const svg = await get('/matrix.svg?days=5');
    expect(svg.status).toBe(200);
    expect(svg.body).toContain('<title>img_b 2026-03-07: build failed</title>');

    const response = await fetch(`${dashboard.url}/matrix.png?days=5`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('image/png');
    const png = Buffer.from(await response.arrayBuffer());
    expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');
    expect(png.readUInt32BE(16)).toBeGreaterThan(600);
  });
});

describe('logs', () => {
  test('raw log downloads as plain text', async () => {
    const response = await get(`/runs/${seeded.runIds[1]}/logs/img_b/build?raw`);
    expect(response.status).toBe(200);
    expect(response.type).toBe('text/plain; charset=utf-8');
    expect(response.headers.get('content-disposition')).toBe(`attachment; filename="${seeded.runIds[1]}-img_b.build.log"`);
    expect(response.body).toContain('building img_b');
  });

  test('large log page shows its tail from a line start', async () => {
    const logPath = seeded.logPaths.get('img_a@0')!;
    const line = `${'x'.repeat(99)}\n`;
    writeFileSync(logPath, `FIRST LINE\n${line.repeat(15_000)}LAST LINE\n`);
    const response = await get(`/runs/${seeded.runIds[0]}/logs/img_a/build`);
    expect(response.status).toBe(200);
    expect(response.body).toContain('LAST LINE');
    expect(response.body).not.toContain('FIRST LINE');
    expect(response.body).toMatch(/Showing the last 10\d\d KiB of 14\d\d KiB/);
    expect(response.body).toMatch(/<pre class="log" id="log">x{99}\n/);
  });

  test('event stream sends appended lines and ends', async () => {
    const logPath = seeded.logPaths.get('img_a@4')!;
    const page = await get(`/runs/${seeded.runIds[4]}/logs/img_a/build`);
    const offset = Number(/data-stream="[^"]*\?offset=(\d+)"/.exec(page.body)?.[1]);
    expect(offset).toBeGreaterThan(0);

    const controller = new AbortController();
    const response = await fetch(`${dashboard.url}/runs/${seeded.runIds[4]}/logs/img_a/build/stream?offset=${offset}`, { signal: controller.signal });
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    const reader = response.body!.getReader();
    let received = '';
    const readUntil = async (text: string) => {
      while (!received.includes(text)) {
        const { value, done } = await reader.read();
        if (done) throw new Error(`stream ended before ${text}: ${received}`);
        received += Buffer.from(value).toString('utf8');
      }
    };

    appendFileSync(logPath, 'appended one\rprogress\nappended two <b>\n');
    await readUntil('appended two');
    expect(received).toContain(`id: ${offset + 'appended one\rprogress\n'.length}\ndata: appended one\ndata: progress\n\n`);
    expect(received).toContain('data: appended two <b>\n');
    expect(received).not.toContain('building img_a');

    const build = seeded.store.listImageResults(seeded.runIds[4]!).find((result) => result.image === 'img_a')!;
    seeded.store.saveImageResult({ ...build, status: 'failed', cause: 'build', error: 'x', finishedAt: NOW.toISOString() });
    await readUntil('event: end');
    expect(received).toContain('event: end\ndata: build failed.\n\n');
    controller.abort();
  });

  test('event stream resumes from Last-Event-ID', async () => {
    const logPath = seeded.logPaths.get('img_a@1')!;
    writeFileSync(logPath, 'alpha\nbeta\ngamma\n');
    const response = await get(`/runs/${seeded.runIds[1]}/logs/img_a/build/stream`, { 'last-event-id': String('alpha\n'.length) });
    expect(response.body).not.toContain('data: alpha');
    expect(response.body).toContain('data: beta\n');
    expect(response.body).toContain('data: gamma\n');
    expect(response.body).toContain('event: end');
  });

  test('event stream rejects a bad offset', async () => {
    const response = await get(`/runs/${seeded.runIds[1]}/logs/img_a/build/stream?offset=-1`);
    expect(response.status).toBe(400);
  });
});

describe('drydock serve', () => {
  test('serves the store until SIGTERM', async () => {
    const child = spawn(process.execPath, [path.join(PROJECT_ROOT, 'bin', 'drydock.js'), 'serve', '--state-dir', seeded.stateDir, '--listen', '127.0.0.1:0'], {
      cwd: mkdtempSync(path.join(tmpdir(), 'drydock-serve-')),
      env: { ...process.env, DRYDOCK_LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    const url = await new Promise<string>((resolve, reject) => {
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
        const match = /"url":"(http:\/\/127\.0\.0\.1:\d+)"/.exec(stderr);
        if (match) resolve(match[1]!);
      });
      child.on('exit', (code) => reject(new Error(`drydock serve exited with ${code}: ${stderr}`)));
    });

    const health = await fetch(`${url}/healthz`);
    expect(health.status).toBe(200);
    const matrix = await fetch(`${url}/api/matrix?days=5`).then((response) => response.json());
    expect(matrix.rows.map((row: { image: string }) => row.image)).toEqual(['img_a', 'img_b']);

    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });

  test('bad listen address exits with status 2', async () => {
    const result = await runCli(['serve', '--state-dir', seeded.stateDir, '--listen', 'localhost'], { cwd: seeded.stateDir });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--listen = "localhost" is invalid');
  });

  test('bad dashboard config exits with status 2', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'drydock-serve-'));
    writeFileSync(path.join(dir, 'drydock.yml'), 'dashboard:\n  listen: 127.0.0.1:99999\n  publicUrl: ftp://x\n');
    const result = await runCli(['serve'], { cwd: dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('dashboard.listen = "127.0.0.1:99999" is invalid');
    expect(result.stderr).toContain('dashboard.publicUrl = "ftp://x" is invalid');
  });
});
