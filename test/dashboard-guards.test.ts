import { request } from 'node:http';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startDashboard, type RunningDashboard } from '../src/dashboard/server.js';
import { createSilentLogger } from '../src/logger.js';
import { seedStore, type SeededStore } from './helpers/dashboard-seed.js';

const NOW = new Date('2026-03-10T12:00:00.000Z');
let seeded: SeededStore;
let dashboard: RunningDashboard;
let outsideRun: string;

beforeAll(async () => {
  seeded = seedStore({ plan: { gd_image: ['built', 'built'] }, now: NOW });
  const at = NOW.toISOString();
  outsideRun = 'run-outside';
  seeded.store.insertRun({ id: outsideRun, kind: 'rebuild', trigger: 'cli', triggeredBy: null, status: 'succeeded', repo: null, commitHash: null, shortCommit: null, commitSubject: null, commitAuthor: null, committedAt: null, startedAt: at, finishedAt: at, error: null });
  // One log path outside the state directory, one symbolic link inside it that points out.
  const link = path.join(seeded.stateDir, 'logs', outsideRun, 'linked.build.log');
  mkdirSync(path.dirname(link), { recursive: true });
  symlinkSync('/etc/passwd', link);
  for (const [image, logPath] of [['direct', '/etc/passwd'], ['linked', link]] as const) {
    seeded.store.saveImageResult({ runId: outsideRun, image, status: 'succeeded', engine: null, notes: [], tags: [], digest: null, imageId: null, sizeBytes: null, durationMs: 1, logPath, failedStep: null, error: null, cause: null, baseImages: {}, startedAt: at, finishedAt: at });
  }
  dashboard = await startDashboard({ store: seeded.store, listen: '127.0.0.1:0', sourceRepo: null, logger: createSilentLogger(), clock: () => NOW });
});

afterAll(async () => {
  await dashboard?.close();
  seeded?.store.close();
});

function send(method: string, target: string, options: { headers?: Record<string, string>; body?: Buffer } = {}): Promise<{ status: number; body: string }> {
  const url = new URL(dashboard.url);
  return new Promise((resolve, reject) => {
    const outgoing = request({ host: url.hostname, port: url.port, method, path: target, headers: options.headers }, (response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk.toString()));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    });
    outgoing.on('error', reject);
    outgoing.end(options.body);
  });
}

test.each(['direct', 'linked'])('log path pointing outside (%s) is refused', async (image) => {
  for (const suffix of ['', '?raw']) {
    const response = await send('GET', `/runs/${outsideRun}/logs/${image}/build${suffix}`);

    expect(response.status).toBe(404);
    expect(response.body).not.toContain('root:x:0:0');
  }
});

test.each([
  '/runs/..%2F..%2F..%2Fetc%2Fpasswd',
  '/runs/../../../../etc/passwd',
  `/runs/x/logs/..%2F..%2F..%2Fetc%2Fpasswd/build`,
  '/badge/..%2F..%2Fetc%2Fpasswd.svg',
  '/images/%2e%2e%2f%2e%2e%2fetc%2fpasswd',
])('traversal %s finds nothing', async (target) => {
  const response = await send('GET', target);

  expect([400, 404]).toContain(response.status);
  expect(response.body).not.toContain('root:x:0:0');
});

test('oversized request headers are rejected', async () => {
  const response = await send('GET', '/', { headers: { 'x-filler': 'x'.repeat(64 * 1024) } });

  expect(response.status).toBe(431);
});

test('request with a large body is refused unread', async () => {
  const response = await send('POST', '/api/runs', { body: Buffer.alloc(8 * 1024 * 1024, 120) });

  expect(response.status).toBe(405);
});
