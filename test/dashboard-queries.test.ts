import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { DashboardQueries, LAST_BUILT_IDENTITIES_SQL } from '../src/store/dashboard-queries.js';
import { MIGRATIONS } from '../src/store/migrations.js';
import { Store } from '../src/store/store.js';
import type { ImageResultRecord, RunRecord } from '../src/store/types.js';

/**
 * The lookup as it was before image_results carried its run's start. It
 * numbers every successful build before `before` per image by run start, and
 * the new query must return the same map on any store.
 */
const REFERENCE_SQL = `
  SELECT image, identity FROM (
    SELECT i.image, COALESCE(i.image_id, i.digest) AS identity,
      ROW_NUMBER() OVER (PARTITION BY i.image ORDER BY r.started_at DESC, r.id DESC) AS position
    FROM image_results i JOIN runs r ON r.id = i.run_id
    WHERE r.started_at < ? AND i.status = 'succeeded' AND COALESCE(i.image_id, i.digest) IS NOT NULL)
  WHERE position = 1`;

const TODAY = '2026-03-10T05:00:00.000Z';
const WINDOW_START = '2026-02-25T00:00:00.000Z';
const BEFORE_VALUES = ['2021-01-01T00:00:00.000Z', '2022-06-01T00:00:00.000Z', WINDOW_START, TODAY, '2026-03-11T00:00:00.000Z'];

type Build = Pick<ImageResultRecord, 'image' | 'status' | 'imageId' | 'digest'>;

let dir: string;
let store: Store;

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'drydock-queries-'));
  store = Store.open(path.join(dir, 'drydock.db'));
});

afterEach(() => {
  store.close();
});

function recordRun(id: string, startedAt: string, builds: Build[]): void {
  const run: RunRecord = {
    id, kind: 'rebuild', trigger: 'test', triggeredBy: null, status: 'succeeded', repo: null, commitHash: null,
    shortCommit: null, commitSubject: null, commitAuthor: null, committedAt: null, startedAt, finishedAt: startedAt, error: null,
  };
  store.insertRun(run);
  for (const build of builds) {
    store.saveImageResult({
      ...build, runId: id, engine: null, notes: [], tags: [], sizeBytes: null, durationMs: 1000, logPath: null,
      failedStep: null, error: null, cause: null, baseImages: {}, startedAt, finishedAt: startedAt,
    });
  }
}

function succeeded(image: string, imageId: string | null, digest: string | null = null): Build {
  return { image, status: 'succeeded', imageId, digest };
}

function failed(image: string): Build {
  return { image, status: 'failed', imageId: null, digest: null };
}

/**
 * Records five years of history with the cases that decide the lookup. One
 * image is never green, one only long ago and one only today. One build was
 * pushed without an image id, one success has no identity at all, and two
 * runs started at the same instant.
 */
function recordEdgeCases(): void {
  recordRun('2021-old', '2021-03-01T05:00:00.000Z', [
    succeeded('long_ago', 'sha256:long-ago'),
    succeeded('steady', 'sha256:steady-2021'),
    failed('never_green'),
    succeeded('no_identity_later', 'sha256:kept'),
  ]);
  recordRun('2023-mid', '2023-07-01T05:00:00.000Z', [
    failed('long_ago'),
    succeeded('steady', 'sha256:steady-2023'),
    succeeded('never_green', null),
    succeeded('digest_only', null, 'sha256:pushed-digest'),
    succeeded('no_identity_later', null),
  ]);
  // Same start: the run id decides, as in the ORDER BY of the lookup.
  recordRun('tie-a', '2024-05-01T05:00:00.000Z', [succeeded('tie', 'sha256:from-tie-a')]);
  recordRun('tie-b', '2024-05-01T05:00:00.000Z', [succeeded('tie', 'sha256:from-tie-b')]);
  recordRun('window', '2026-02-27T05:00:00.000Z', [succeeded('steady', 'sha256:steady-window'), failed('long_ago')]);
  recordRun('today', TODAY, [
    succeeded('green_today', 'sha256:today'),
    succeeded('steady', 'sha256:steady-today'),
    failed('never_green'),
  ]);
}

function referenceIdentities(before: string): Map<string, string> {
  const rows = store.db.prepare(REFERENCE_SQL).all(before) as { image: string; identity: string }[];
  return new Map(rows.map((row) => [row.image, row.identity]));
}

function sorted(map: Map<string, string>): [string, string][] {
  return [...map].sort(([a], [b]) => a.localeCompare(b));
}

describe('listLastBuiltIdentities', () => {
  test('edge cases before the window', () => {
    recordEdgeCases();

    const identities = new DashboardQueries(store.db).listLastBuiltIdentities(WINDOW_START);

    expect(identities.get('long_ago')).toBe('sha256:long-ago');
    expect(identities.get('steady')).toBe('sha256:steady-2023');
    expect(identities.get('digest_only')).toBe('sha256:pushed-digest');
    expect(identities.get('no_identity_later')).toBe('sha256:kept');
    expect(identities.get('tie')).toBe('sha256:from-tie-b');
    expect(identities.has('never_green')).toBe(false);
    expect(identities.has('green_today')).toBe(false);
    expect(identities.size).toBe(5);
  });

  test('start equal to before is excluded', () => {
    recordEdgeCases();

    const identities = new DashboardQueries(store.db).listLastBuiltIdentities(TODAY);

    expect(identities.get('steady')).toBe('sha256:steady-window');
    expect(identities.has('green_today')).toBe(false);
  });

  test.each(BEFORE_VALUES)('equals the reference before %s', (before) => {
    recordEdgeCases();

    const identities = new DashboardQueries(store.db).listLastBuiltIdentities(before);

    expect(sorted(identities)).toEqual(sorted(referenceIdentities(before)));
  });

  test('empty store', () => {
    expect(new DashboardQueries(store.db).listLastBuiltIdentities(TODAY).size).toBe(0);
  });

  test('follows a run whose start changes', () => {
    recordEdgeCases();
    const queries = new DashboardQueries(store.db);

    store.updateRun('today', { startedAt: '2026-02-01T05:00:00.000Z' });

    expect(queries.listLastBuiltIdentities(WINDOW_START).get('green_today')).toBe('sha256:today');
    expect(queries.listLastBuiltIdentities(WINDOW_START).get('steady')).toBe('sha256:steady-today');
    expect(sorted(queries.listLastBuiltIdentities(WINDOW_START))).toEqual(sorted(referenceIdentities(WINDOW_START)));
  });

  test('query plan seeks indexes only', () => {
    const plan = store.db.prepare(`EXPLAIN QUERY PLAN ${LAST_BUILT_IDENTITIES_SQL}`).all({ before: TODAY }) as { detail: string }[];
    const details = plan.map((row) => row.detail);

    expect(details).toContainEqual(expect.stringContaining('USING INDEX image_results_last_built (image=? AND run_started_at<?)'));
    expect(details.filter((detail) => /^SCAN (i|image_results)\b/.test(detail))).toEqual([]);
  });
});

describe('listImageNames', () => {
  test('distinct names in order', () => {
    recordEdgeCases();

    const names = new DashboardQueries(store.db).listImageNames();

    expect(names).toEqual(['digest_only', 'green_today', 'long_ago', 'never_green', 'no_identity_later', 'steady', 'tie']);
  });

  test('empty store', () => {
    expect(new DashboardQueries(store.db).listImageNames()).toEqual([]);
  });
});

describe('migration of image_results.run_started_at', () => {
  test('fills the copy on an older store', () => {
    store.close();
    const file = path.join(dir, 'version-6.db');
    const versionSix = new Database(file);
    for (const migration of MIGRATIONS.slice(0, 6)) versionSix.exec(migration);
    versionSix.pragma('user_version = 6');
    versionSix.exec(`
      INSERT INTO runs (id, kind, trigger, status, started_at) VALUES
        ('r1', 'rebuild', 'test', 'succeeded', '2025-01-01T05:00:00.000Z'),
        ('r2', 'rebuild', 'test', 'succeeded', '2025-01-02T05:00:00.000Z');
      INSERT INTO image_results (run_id, image, status, image_id) VALUES
        ('r1', 'ci_cpu', 'succeeded', 'sha256:first'),
        ('r2', 'ci_cpu', 'succeeded', 'sha256:second'),
        ('r2', 'ci_gpu', 'failed', NULL);`);
    versionSix.close();

    store = Store.open(file);

    expect(store.db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
    const copies = store.db.prepare('SELECT run_id, image, run_started_at FROM image_results ORDER BY run_id, image').all();
    expect(copies).toEqual([
      { run_id: 'r1', image: 'ci_cpu', run_started_at: '2025-01-01T05:00:00.000Z' },
      { run_id: 'r2', image: 'ci_cpu', run_started_at: '2025-01-02T05:00:00.000Z' },
      { run_id: 'r2', image: 'ci_gpu', run_started_at: '2025-01-02T05:00:00.000Z' },
    ]);
    const identities = new DashboardQueries(store.db).listLastBuiltIdentities('2025-01-02T05:00:00.000Z');
    expect(sorted(identities)).toEqual([['ci_cpu', 'sha256:first']]);
  });
});
