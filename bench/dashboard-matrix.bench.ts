import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startDashboard, type RunningDashboard } from '../src/dashboard/server.js';
import { createSilentLogger } from '../src/logger.js';
import { InventoryStore } from '../src/store/inventory-store.js';
import { Store } from '../src/store/store.js';
import { ValidateStore } from '../src/store/validate-store.js';
import type { Benchmark } from './benchmark.js';

const IMAGES = 40;
const DAYS = 365;
const DAY_MS = 24 * 60 * 60 * 1000;
const NOW = new Date('2026-12-31T12:00:00.000Z');

interface Context {
  dashboard: RunningDashboard;
  store: Store;
  dir: string;
}

/**
 * Writes one nightly rebuild a day for a year, 40 images each, and a
 * validation of every image that built, into a real SQLite store. About one
 * build in 12 fails, one validation in 15 fails, and one in 40 of those is an
 * image regression, so every branch of the classification runs.
 */
function seed(store: Store): void {
  const validations = new ValidateStore(store.db);
  const inventories = new InventoryStore(store.db);
  const images = Array.from({ length: IMAGES }, (_, index) => `ci_image_${String(index).padStart(2, '0')}`);
  const today = Date.UTC(NOW.getUTCFullYear(), NOW.getUTCMonth(), NOW.getUTCDate());

  store.db.transaction(() => {
    for (let day = 0; day < DAYS; day++) {
      const startedAt = new Date(today - (DAYS - 1 - day) * DAY_MS + 5 * 3600_000).toISOString();
      const runId = `run-${String(day).padStart(3, '0')}`;
      const hash = `${String(day).padStart(4, '0')}${'ab'.repeat(18)}`;
      const run = {
        id: runId, kind: 'rebuild' as const, trigger: 'schedule', triggeredBy: null, status: 'failed' as const,
        repo: 'https://github.com/apache/tvm.git', commitHash: hash, shortCommit: hash.slice(0, 7),
        commitSubject: `[CI] Nightly change ${day} <with markup>`, commitAuthor: 'Dev', committedAt: startedAt,
        startedAt, finishedAt: startedAt, error: null,
      };
      store.insertRun(run);
      const validateRunId = `validate-${String(day).padStart(3, '0')}`;
      store.insertRun({ ...run, id: validateRunId, kind: 'validate' });
      validations.insertValidateRun(validateRunId, runId);

      images.forEach((image, index) => {
        const failed = (day * 7 + index) % 12 === 0;
        store.saveImageResult({
          runId, image, status: failed ? 'failed' : 'succeeded', engine: 'local', notes: [], tags: [`${image}:latest`],
          digest: failed ? null : `sha256:${day}-${index}`, imageId: failed ? null : `sha256:id-${day}-${index}`,
          sizeBytes: failed ? null : 2e9 + day * 1e6, durationMs: 3_600_000, logPath: `/var/lib/drydock/logs/${runId}/${image}.build.log`,
          failedStep: failed ? 'Step 9/20 : RUN install.sh' : null, error: failed ? 'returned a non-zero code: 1' : null,
          cause: failed ? 'build' : null, baseImages: {}, startedAt, finishedAt: startedAt,
        });
        if (failed) return;
        const testsFailed = (day * 3 + index) % 15 === 0;
        validations.saveImage({
          runId: validateRunId, image, rebuildRunId: runId, status: testsFailed ? 'failed' : 'passed', reference: null,
          logPath: null, error: null, cause: testsFailed ? 'tests' : null, inventoryError: null, durationMs: 600_000,
          startedAt, finishedAt: startedAt,
        });
        validations.saveCommand({
          runId: validateRunId, image, position: 0, command: 'tests/scripts/task_python_unittest.sh',
          status: testsFailed ? 'failed' : 'passed', exitCode: testsFailed ? 1 : 0, durationMs: 500_000, error: null,
          junit: null, classification: testsFailed ? ((day + index) % 40 === 0 ? 'image-regression' : 'source-failure') : null, production: null,
        });
        if (day === DAYS - 1) {
          inventories.save({
            rebuildRunId: runId, image, validateRunId, imageRef: image, takenAt: startedAt, osRelease: {},
            python: [], debian: {},
          });
        }
      });
    }
  })();
}

const benchmark: Benchmark<Context> = {
  name: 'dashboard matrix, 40 images × 365 days',
  description:
    'HTTP GET over loopback against `startDashboard` on a real SQLite store holding 365 nightly rebuilds of 40 images ' +
    '(14,600 builds, ~13,400 validations). Baseline: GET /healthz on the same server, one SQLite query and a tiny JSON body.',
  async setup() {
    const dir = mkdtempSync(path.join(tmpdir(), 'drydock-bench-'));
    const store = Store.open(path.join(dir, 'drydock.db'));
    seed(store);
    const dashboard = await startDashboard({ store, listen: '127.0.0.1:0', sourceRepo: null, logger: createSilentLogger(), clock: () => NOW });
    return { dashboard, store, dir };
  },
  baseline: { name: 'GET /healthz', run: ({ dashboard }) => fetchText(`${dashboard.url}/healthz`) },
  cases: [
    { name: 'GET /?days=365 (HTML matrix)', budgetMs: 2000, run: ({ dashboard }) => fetchText(`${dashboard.url}/?days=365`) },
    { name: 'GET /api/matrix?days=365 (JSON)', budgetMs: 2000, run: ({ dashboard }) => fetchText(`${dashboard.url}/api/matrix?days=365`) },
    { name: 'GET /matrix.svg?days=365', budgetMs: 2000, run: ({ dashboard }) => fetchText(`${dashboard.url}/matrix.svg?days=365`) },
    { name: 'GET /?days=30 (default page)', budgetMs: 300, run: ({ dashboard }) => fetchText(`${dashboard.url}/`) },
    { name: 'GET /matrix.png?days=30', run: ({ dashboard }) => fetchText(`${dashboard.url}/matrix.png?days=30`) },
  ],
  async teardown({ dashboard, store, dir }) {
    await dashboard.close();
    store.close();
    rmSync(dir, { recursive: true, force: true });
  },
};
export default benchmark;

async function fetchText(url: string): Promise<number> {
  const response = await fetch(url);
  if (response.status !== 200) throw new Error(`GET ${url} returned ${response.status}`);
  return (await response.arrayBuffer()).byteLength;
}
