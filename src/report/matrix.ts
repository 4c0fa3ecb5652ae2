import type { DashboardMatrix } from '../dashboard/matrix-model.js';
import { OUTCOME_STYLES, OUTCOMES } from '../dashboard/outcome.js';
import type { Store } from '../store/store.js';
import type { ImageStatus } from '../store/types.js';

export interface MatrixCell {
  status: ImageStatus | 'not-run';
  runId: string | null;
  shortCommit: string | null;
}

export interface MatrixColumn {
  /** UTC day, `YYYY-MM-DD`. */
  date: string;
  /** Short hash of the last run that day, or null when nothing ran. */
  shortCommit: string | null;
  runId: string | null;
}

export interface Matrix {
  columns: MatrixColumn[];
  rows: { image: string; cells: MatrixCell[] }[];
}

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * Builds the images × days matrix of the last `days` UTC days, oldest first.
 * Each cell holds the result of the image's last run that day.
 */
export function buildMatrix(store: Store, days: number, now: Date): Matrix {
  // The window's first day names the query's start, so an empty window has no start.
  if (!Number.isInteger(days) || days < 1) {
    throw new RangeError(`days = ${days} is invalid for the status matrix: give a whole number of days, 1 or more`);
  }

  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  const dates = Array.from({ length: days }, (_, index) => new Date(today - (days - 1 - index) * DAY_MS).toISOString().slice(0, 10));
  const results = store.listImageResultsSince(`${dates[0]}T00:00:00.000Z`);

  const columns = new Map<string, MatrixColumn>(dates.map((date) => [date, { date, shortCommit: null, runId: null }]));
  const cells = new Map<string, Map<string, MatrixCell>>();
  for (const result of results) {
    const date = result.run.startedAt.slice(0, 10);
    const column = columns.get(date);
    if (!column) continue;

    // Results arrive oldest run first, so the last one written wins.
    column.shortCommit = result.run.shortCommit;
    column.runId = result.run.id;
    const row = cells.get(result.image) ?? new Map<string, MatrixCell>();
    row.set(date, { status: result.status, runId: result.runId, shortCommit: result.run.shortCommit });
    cells.set(result.image, row);
  }

  const rows = [...cells.keys()].sort().map((image) => ({
    image,
    cells: dates.map((date) => cells.get(image)?.get(date) ?? { status: 'not-run' as const, runId: null, shortCommit: null }),
  }));
  return { columns: [...columns.values()], rows };
}

export const STATUS_GLYPHS: Record<MatrixCell['status'], string> = {
  succeeded: '✓',
  failed: '✗',
  skipped: '↷',
  cancelled: '⊘',
  running: '…',
  pending: '…',
  'not-run': '·',
};

/** Renders the matrix as a plain-text table with a glyph per cell and a legend. */
export function formatMatrix(matrix: Matrix): string {
  if (matrix.rows.length === 0) return 'No runs recorded in this period.';

  const nameWidth = Math.max(5, ...matrix.rows.map((row) => row.image.length));
  // git lengthens short hashes in large repositories (10 characters for TVM), so columns fit the longest.
  const cellWidth = Math.max(9, ...matrix.columns.map((column) => (column.shortCommit ?? '').length + 2));
  const header1 = `${'image'.padEnd(nameWidth)}  ${matrix.columns.map((column) => column.date.slice(5).padEnd(cellWidth)).join('')}`;
  const header2 = `${''.padEnd(nameWidth)}  ${matrix.columns.map((column) => (column.shortCommit ?? '').slice(0, cellWidth - 1).padEnd(cellWidth)).join('')}`;
  const lines = matrix.rows.map(
    (row) => `${row.image.padEnd(nameWidth)}  ${row.cells.map((cell) => STATUS_GLYPHS[cell.status].padEnd(cellWidth)).join('')}`,
  );
  const legend = '✓ succeeded  ✗ failed  ↷ skipped  ⊘ cancelled  … running  · not run';
  return [header1.trimEnd(), header2.trimEnd(), ...lines.map((line) => line.trimEnd()), '', legend].join('\n');
}

/**
 * Renders the dashboard's matrix (build and validation outcomes together)
 * as a plain-text table with a glyph per cell and a legend of the glyphs used.
 */
export function formatOutcomeMatrix(matrix: DashboardMatrix): string {
  if (matrix.rows.length === 0) return 'No runs recorded in this period.';

  const nameWidth = Math.max(5, ...matrix.rows.map((row) => row.image.length));
  // git lengthens short hashes in large repositories (10 characters for TVM), so columns fit the longest.
  const cellWidth = Math.max(9, ...matrix.columns.map((column) => (column.shortCommit ?? '').length + 2));
  const header1 = `${'image'.padEnd(nameWidth)}  ${matrix.columns.map((column) => column.date.slice(5).padEnd(cellWidth)).join('')}`;
  const header2 = `${''.padEnd(nameWidth)}  ${matrix.columns.map((column) => (column.shortCommit ?? '').padEnd(cellWidth)).join('')}`;
  const lines = matrix.rows.map((row) => `${row.image.padEnd(nameWidth)}  ${row.cells.map((cell) => OUTCOME_STYLES[cell.outcome].glyph.padEnd(cellWidth)).join('')}`);
  const used = new Set(matrix.rows.flatMap((row) => row.cells.map((cell) => cell.outcome)));
  const legend = OUTCOMES.filter((outcome) => used.has(outcome) || outcome === 'not-run')
    .map((outcome) => `${OUTCOME_STYLES[outcome].glyph} ${OUTCOME_STYLES[outcome].label}`)
    .join('  ');
  return [header1.trimEnd(), header2.trimEnd(), ...lines.map((line) => line.trimEnd()), '', legend].join('\n');
}
