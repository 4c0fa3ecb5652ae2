import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { buildMatrix, formatMatrix } from '../src/report/matrix.js';
import { Store } from '../src/store/store.js';
import type { ImageStatus, RunRecord } from '../src/store/types.js';

let store: Store;

beforeEach(() => {
  const dir = mkdtempSync(path.join(tmpdir(), 'drydock-matrix-'));
  store = Store.open(path.join(dir, 'drydock.db'));
});

afterEach(() => {
  store.close();
});

/** Records a finished rebuild run that started at `startedAt` with one result per image. */
function recordRun(id: string, startedAt: string, shortCommit: string, results: Record<string, ImageStatus>): void {
  const run: RunRecord = {
    id,
    kind: 'rebuild',
    trigger: 'test',
    triggeredBy: null,
    status: 'succeeded',
    repo: '/srv/tvm',
    commitHash: `${shortCommit}000000`,
    shortCommit,
    commitSubject: 'Fixture commit',
    commitAuthor: 'Drydock Test',
    committedAt: startedAt,
    startedAt,
    finishedAt: startedAt,
    error: null,
  };
  store.insertRun(run);
  for (const [image, status] of Object.entries(results)) {
    store.saveImageResult({
      runId: id,
      image,
      status,
      engine: null,
      notes: [],
      tags: [],
      digest: null,
      imageId: null,
      sizeBytes: null,
      durationMs: 1000,
      logPath: null,
      failedStep: null,
      error: null,
      cause: null,
      baseImages: {},
      startedAt,
      finishedAt: startedAt,
    });
  }
}

const NOW = new Date('2024-03-10T12:00:00Z');

describe('buildMatrix', () => {
  test('columns cover the window, oldest first', () => {
    const matrix = buildMatrix(store, 3, NOW);

    expect(matrix.columns.map((column) => column.date)).toEqual(['2024-03-08', '2024-03-09', '2024-03-10']);
    expect(matrix.rows).toEqual([]);
  });

  test('several runs over days', () => {
    recordRun('r1', '2024-03-08T02:00:00.000Z', 'aaa1111', { ci_cpu: 'succeeded', ci_gpu: 'failed' });
    recordRun('r2', '2024-03-09T02:00:00.000Z', 'bbb2222', { ci_cpu: 'succeeded', ci_gpu: 'succeeded' });
    recordRun('r3', '2024-03-10T02:00:00.000Z', 'ccc3333', { ci_cpu: 'failed', ci_gpu: 'skipped' });

    const matrix = buildMatrix(store, 3, NOW);

    expect(matrix.rows.map((row) => row.image)).toEqual(['ci_cpu', 'ci_gpu']);
    expect(matrix.rows[0]!.cells.map((cell) => cell.status)).toEqual(['succeeded', 'succeeded', 'failed']);
    expect(matrix.rows[1]!.cells.map((cell) => cell.status)).toEqual(['failed', 'succeeded', 'skipped']);
    expect(matrix.columns.map((column) => column.shortCommit)).toEqual(['aaa1111', 'bbb2222', 'ccc3333']);
    expect(matrix.columns.map((column) => column.runId)).toEqual(['r1', 'r2', 'r3']);
  });

  test('last run of a day wins', () => {
    recordRun('early', '2024-03-10T01:00:00.000Z', 'aaa1111', { ci_cpu: 'failed' });
    recordRun('late', '2024-03-10T23:59:59.000Z', 'bbb2222', { ci_cpu: 'succeeded' });
    recordRun('middle', '2024-03-10T12:00:00.000Z', 'ccc3333', { ci_cpu: 'cancelled' });

    const matrix = buildMatrix(store, 1, new Date('2024-03-10T23:59:59.500Z'));

    expect(matrix.rows[0]!.cells[0]).toEqual({ status: 'succeeded', runId: 'late', shortCommit: 'bbb2222' });
    expect(matrix.columns[0]!.shortCommit).toBe('bbb2222');
    expect(matrix.columns[0]!.runId).toBe('late');
  });

  test('image missing from a day is not-run', () => {
    recordRun('r1', '2024-03-08T02:00:00.000Z', 'aaa1111', { ci_cpu: 'succeeded' });
    recordRun('r3', '2024-03-10T02:00:00.000Z', 'ccc3333', { ci_cpu: 'succeeded', ci_new: 'succeeded' });

    const matrix = buildMatrix(store, 3, NOW);

    const cpu = matrix.rows.find((row) => row.image === 'ci_cpu')!;
    const added = matrix.rows.find((row) => row.image === 'ci_new')!;
    expect(cpu.cells[1]).toEqual({ status: 'not-run', runId: null, shortCommit: null });
    expect(added.cells.map((cell) => cell.status)).toEqual(['not-run', 'not-run', 'succeeded']);
    expect(matrix.columns[1]).toEqual({ date: '2024-03-09', shortCommit: null, runId: null });
  });

  test('window starts at UTC midnight', () => {
    recordRun('before', '2024-03-07T23:59:59.999Z', 'aaa1111', { ci_old: 'succeeded' });
    recordRun('first', '2024-03-08T00:00:00.000Z', 'bbb2222', { ci_cpu: 'succeeded' });

    const matrix = buildMatrix(store, 3, NOW);

    expect(matrix.rows.map((row) => row.image)).toEqual(['ci_cpu']);
    expect(matrix.rows[0]!.cells[0]!.runId).toBe('first');
  });

  test('day boundary uses UTC', () => {
    recordRun('r1', '2024-03-09T23:30:00.000Z', 'aaa1111', { ci_cpu: 'failed' });

    const matrix = buildMatrix(store, 2, new Date('2024-03-10T00:15:00+00:00'));

    expect(matrix.rows[0]!.cells.map((cell) => cell.status)).toEqual(['failed', 'not-run']);
  });

  test('zero days is rejected', () => {
    expect(() => buildMatrix(store, 0, NOW)).toThrow(/days = 0/);
  });
});

describe('formatMatrix', () => {
  test('glyphs and legend', () => {
    recordRun('r1', '2024-03-09T02:00:00.000Z', 'aaa1111', { ci_cpu: 'succeeded', ci_gpu: 'failed' });

    const text = formatMatrix(buildMatrix(store, 2, NOW));

    const lines = text.split('\n');
    expect(lines[0]).toMatch(/^image\s+03-09\s+03-10$/);
    expect(lines[1]).toContain('aaa1111');
    expect(lines[2]).toMatch(/^ci_cpu\s+✓\s+·$/);
    expect(lines[3]).toMatch(/^ci_gpu\s+✗\s+·$/);
    expect(text).toContain('✓ succeeded');
    expect(text).toContain('· not run');
  });

  test('empty window message', () => {
    expect(formatMatrix(buildMatrix(store, 7, NOW))).toBe('No runs recorded in this period.');
  });
});

test('long short hashes fit their column', () => {
  const text = formatMatrix({
    columns: [{ date: '2026-12-03', shortCommit: '5d4dc87213', runId: 'a' }, { date: '2026-12-04', shortCommit: '0123456789', runId: 'b' }],
    rows: [{ image: 'ci_cpu', cells: [{ status: 'failed', runId: 'a', shortCommit: '5d4dc87213' }, { status: 'succeeded', runId: 'b', shortCommit: '0123456789' }] }],
  });

  expect(text).toContain('5d4dc87213  0123456789');
});
