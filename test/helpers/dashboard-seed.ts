import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Outcome } from '../../src/dashboard/outcome.js';
import { InventoryStore } from '../../src/store/inventory-store.js';
import { Store } from '../../src/store/store.js';
import type { ImageResultRecord, RunRecord } from '../../src/store/types.js';
import { ValidateStore } from '../../src/store/validate-store.js';

const DAY_MS = 24 * 60 * 60 * 1000;

export interface SeedOptions {
  /** Outcome of each image on each day, oldest day first; the last day is the day of `now`. */
  plan: Record<string, Outcome[]>;
  now: Date;
  /** Commit subject of each day's run, by day index; a default subject otherwise. */
  subjects?: Record<number, string>;
  repo?: string;
}

export interface SeededStore {
  store: Store;
  stateDir: string;
  /** The rebuild run of each day, or null for a day without any build. */
  runIds: (string | null)[];
  /** The build log of each image and day, where one was written. */
  logPaths: Map<string, string>;
}

/**
 * Writes runs, builds, validations and inventories into a real store so the
 * matrix shows `plan`: one rebuild run a day at 05:00 UTC (a day where every
 * image is `not-run` gets no run), plus a validate run for every validated
 * build. A day whose plan holds `running` leaves its run running.
 */
export function seedStore(options: SeedOptions): SeededStore {
  const stateDir = mkdtempSync(path.join(tmpdir(), 'drydock-dashboard-'));
  const store = Store.open(path.join(stateDir, 'drydock.db'));
  const validations = new ValidateStore(store.db);
  const inventories = new InventoryStore(store.db);
  const images = Object.keys(options.plan).sort();
  const days = options.plan[images[0]!]!.length;
  const today = Date.UTC(options.now.getUTCFullYear(), options.now.getUTCMonth(), options.now.getUTCDate());
  const runIds: (string | null)[] = [];
  const logPaths = new Map<string, string>();
  const lastImageId = new Map<string, string>();

  for (let day = 0; day < days; day++) {
    const outcomes = images.map((image) => options.plan[image]![day]!);
    if (outcomes.every((outcome) => outcome === 'not-run')) {
      runIds.push(null);
      continue;
    }

    const startedAt = new Date(today - (days - 1 - day) * DAY_MS + 5 * 60 * 60 * 1000);
    const running = outcomes.includes('running');
    const hash = `${String(day).padStart(2, '0')}${'c0ffee'.repeat(6)}ab`;
    const run: RunRecord = {
      id: `run-day${String(day).padStart(2, '0')}`,
      kind: 'rebuild',
      trigger: 'schedule',
      triggeredBy: day === 0 ? 'committer <alice>' : null,
      status: running ? 'running' : outcomes.some((outcome) => outcome === 'build-failed') ? 'failed' : 'succeeded',
      repo: options.repo ?? 'https://github.com/example/project.git',
      commitHash: hash,
      shortCommit: hash.slice(0, 7),
      commitSubject: options.subjects?.[day] ?? `Change number ${day}`,
      commitAuthor: 'Dev Eloper',
      committedAt: startedAt.toISOString(),
      startedAt: startedAt.toISOString(),
      finishedAt: running ? null : new Date(startedAt.getTime() + 3_600_000).toISOString(),
      error: null,
    };
    store.insertRun(run);
    runIds.push(run.id);

    const validateRunId = `validate-day${String(day).padStart(2, '0')}`;
    let validateRunCreated = false;
    const ensureValidateRun = () => {
      if (validateRunCreated) return;
      store.insertRun({ ...run, id: validateRunId, kind: 'validate', status: running ? 'running' : 'succeeded' });
      validations.insertValidateRun(validateRunId, run.id);
      validateRunCreated = true;
    };

    for (const [index, image] of images.entries()) {
      const outcome = outcomes[index]!;
      if (outcome === 'not-run') continue;

      const logPath = path.join(stateDir, 'logs', run.id, `${image}.build.log`);
      mkdirSync(path.dirname(logPath), { recursive: true });
      writeFileSync(logPath, `2026-01-01T05:00:00.000Z [drydock] building ${image}\n2026-01-01T05:00:01.000Z Step 1/2 : FROM base\n`);
      logPaths.set(`${image}@${day}`, logPath);

      const built = ['validated', 'built', 'unchanged', 'validation-failed', 'regression'].includes(outcome);
      const imageId = outcome === 'unchanged' ? lastImageId.get(image)! : `sha256:${image}-${day}`;
      const result: ImageResultRecord = {
        runId: run.id,
        image,
        status: built ? 'succeeded' : outcome === 'build-failed' ? 'failed' : outcome === 'running' ? 'running' : outcome === 'skipped' ? 'skipped' : 'cancelled',
        engine: 'local',
        notes: [],
        tags: [`127.0.0.1:5000/ci/${image}:latest`],
        digest: built ? `sha256:digest-${imageId}` : null,
        imageId: built ? imageId : null,
        sizeBytes: built ? (100 + day) * 1024 * 1024 : null,
        durationMs: outcome === 'running' ? null : 60_000 + day * 1000,
        logPath,
        failedStep: outcome === 'build-failed' ? 'Step 2/2 : RUN ./install.sh' : null,
        error: outcome === 'build-failed' ? 'The command returned a non-zero code: 1' : null,
        cause: outcome === 'build-failed' ? 'build' : outcome === 'skipped' ? 'parent' : outcome === 'cancelled' ? 'cancelled' : null,
        baseImages: {},
        startedAt: run.startedAt,
        finishedAt: run.finishedAt,
      };
      store.saveImageResult(result);
      if (built) lastImageId.set(image, imageId);

      if (outcome === 'built' || !built) continue;
      ensureValidateRun();
      const failed = outcome === 'validation-failed' || outcome === 'regression';
      validations.saveImage({
        runId: validateRunId,
        image,
        rebuildRunId: run.id,
        status: failed ? 'failed' : 'passed',
        reference: `127.0.0.1:5000/ci/${image}@sha256:digest`,
        logPath: null,
        error: failed ? 'a test command failed' : null,
        cause: failed ? 'tests' : null,
        inventoryError: null,
        durationMs: 30_000,
        startedAt: run.startedAt,
        finishedAt: run.finishedAt,
      });
      validations.saveCommand({
        runId: validateRunId,
        image,
        position: 0,
        command: 'tests/scripts/task_unittest.sh',
        status: failed ? 'failed' : 'passed',
        exitCode: failed ? 1 : 0,
        durationMs: 20_000,
        error: null,
        junit: { files: ['build/pytest.xml'], passed: 10, failed: failed ? 1 : 0, skipped: 2, failures: failed ? [{ suite: 'unit', classname: 'tests.test_ops', name: 'test_add', kind: 'failure', message: 'assert 1 == 2' }] : [] },
        classification: outcome === 'regression' ? 'image-regression' : failed ? 'source-failure' : null,
        production: failed ? { reference: `tlcpack/${image}:latest`, status: outcome === 'regression' ? 'passed' : 'failed', exitCode: outcome === 'regression' ? 0 : 1, note: null } : null,
      });
      inventories.save({
        rebuildRunId: run.id,
        image,
        validateRunId,
        imageRef: `127.0.0.1:5000/ci/${image}@sha256:digest`,
        takenAt: run.startedAt,
        osRelease: { PRETTY_NAME: 'Debian GNU/Linux 12 (bookworm)', VERSION_ID: '12' },
        python: [{ interpreter: '/usr/bin/python3', virtualenv: null, primary: true, lister: 'pip', packages: { numpy: `1.${day}.0`, pytest: '8.0.0' } }],
        debian: { libc6: '2.36-9', [`extra-${day}`]: '1.0' },
      });
    }
  }
  return { store, stateDir, runIds, logPaths };
}
