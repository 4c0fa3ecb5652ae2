import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Store } from '../src/store/store.js';
import { runCli } from '../test/helpers/cli.js';
import type { Benchmark } from './benchmark.js';

const IMAGES = 40;
const NIGHTS = 5 * 365;
const DAY_MS = 24 * 60 * 60 * 1000;

interface Context {
  longHistory: string;
  oneNight: string;
}

/** Writes `nights` nightly rebuilds of 40 images, ending today, into a new store. */
function seedStore(nights: number): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'drydock-bench-store-'));
  const store = Store.open(path.join(dir, 'drydock.db'));
  const now = Date.now();
  store.db.transaction(() => {
    for (let night = nights - 1; night >= 0; night--) {
      const startedAt = new Date(now - night * DAY_MS).toISOString();
      const runId = `bench-${String(night).padStart(4, '0')}`;
      const hash = night.toString(16).padStart(40, '0');
      store.insertRun({
        id: runId, kind: 'rebuild', trigger: 'schedule', triggeredBy: null, status: 'failed', repo: 'bench',
        commitHash: hash, shortCommit: hash.slice(0, 7), commitSubject: `night ${night}`, commitAuthor: 'bench',
        committedAt: startedAt, startedAt, finishedAt: startedAt, error: null,
      });
      for (let image = 0; image < IMAGES; image++) {
        store.saveImageResult({
          runId, image: `ci_image_${image}`, status: (night + image) % 7 === 0 ? 'failed' : 'succeeded', engine: 'default',
          notes: [], tags: [], digest: null, imageId: null, sizeBytes: 1_000_000 * image, durationMs: 60_000, logPath: null,
          failedStep: null, error: null, cause: null, baseImages: {}, startedAt, finishedAt: startedAt,
        });
      }
    }
  })();
  store.close();
  return dir;
}

async function status(stateDir: string): Promise<void> {
  const result = await runCli(['status', '--state-dir', stateDir], { cwd: stateDir });
  if (result.code !== 0) throw new Error(`drydock status failed: ${result.stderr}`);
}

/** `drydock status` on five years of nightly history for 40 images, against one night. */
const benchmark: Benchmark<Context> = {
  name: 'drydock status on a long history',
  description: `${NIGHTS} nightly runs of ${IMAGES} images (${NIGHTS * IMAGES} image results) against one night; whole command, process start-up included`,
  warmup: 1,
  iterations: 7,
  async setup() {
    return { longHistory: seedStore(NIGHTS), oneNight: seedStore(1) };
  },
  baseline: { name: 'drydock status, one night', run: (context) => status(context.oneNight) },
  cases: [{ name: 'drydock status, 5 years', maxRatio: 1.2, run: (context) => status(context.longHistory) }],
  async teardown(context) {
    rmSync(context.longHistory, { recursive: true, force: true });
    rmSync(context.oneNight, { recursive: true, force: true });
  },
};

export default benchmark;
