import type { BuildOutcomeRow, DashboardQueries } from '../store/dashboard-queries.js';
import { classifyBuild, OUTCOME_STYLES, type Outcome } from './outcome.js';

export interface DashboardCell {
  /** UTC day, `YYYY-MM-DD`. */
  date: string;
  outcome: Outcome;
  /** The rebuild run of the image's last build that day, or null when nothing ran. */
  runId: string | null;
  validateRunId: string | null;
  shortCommit: string | null;
  durationMs: number | null;
  error: string | null;
}

export interface DashboardColumn {
  date: string;
  /** The last rebuild run that day, whose commit the header shows. */
  runId: string | null;
  repo: string | null;
  commitHash: string | null;
  shortCommit: string | null;
  commitSubject: string | null;
}

export interface Streak {
  health: 'green' | 'red';
  /** Consecutive green or red nights, newest back, not counting nights without a verdict. */
  length: number;
}

export interface DashboardRow {
  image: string;
  cells: DashboardCell[];
  /** The current run of green or red nights, or null when no night in the window had a verdict. */
  streak: Streak | null;
  /** Green-to-red changes across the window, a sign of flakiness. */
  flips: number;
}

export interface DashboardMatrix {
  days: number;
  columns: DashboardColumn[];
  rows: DashboardRow[];
}

/** Most days the matrix shows, one year and a leap day. */
export const MAX_MATRIX_DAYS = 366;
export const DEFAULT_MATRIX_DAYS = 30;
const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * Builds the images × days matrix of the last `days` UTC days, oldest day
 * first. Each cell shows the image's last build that day with its newest
 * validation; every image built at any time gets a row.
 */
export function buildDashboardMatrix(queries: DashboardQueries, days: number, now: Date): DashboardMatrix {
  if (!Number.isInteger(days) || days < 1 || days > MAX_MATRIX_DAYS) {
    throw new RangeError(`days = ${days} is invalid: give a whole number from 1 to ${MAX_MATRIX_DAYS}`);
  }

  const dates = listDates(days, now);
  const since = `${dates[0]}T00:00:00.000Z`;
  const builds = queries.listBuildOutcomes({ since });
  const lastIdentity = queries.listLastBuiltIdentities(since);

  const columns = new Map<string, DashboardColumn>(
    dates.map((date) => [date, { date, runId: null, repo: null, commitHash: null, shortCommit: null, commitSubject: null }]),
  );
  const cellsByImage = new Map<string, Map<string, DashboardCell>>(queries.listImageNames().map((image) => [image, new Map()]));
  for (const build of builds) {
    const outcome = classifyBuild(build, lastIdentity.get(build.image));
    if (build.status === 'succeeded') {
      const identity = build.imageId ?? build.digest;
      if (identity !== null) lastIdentity.set(build.image, identity);
    }

    const date = build.startedAt.slice(0, 10);
    const column = columns.get(date);
    // A run stamped after `now` (a clock set back) has no column.
    if (!column) continue;
    // Builds arrive in run start order, so the day's last run overwrites earlier ones.
    Object.assign(column, {
      runId: build.runId,
      repo: build.repo,
      commitHash: build.commitHash,
      shortCommit: build.shortCommit,
      commitSubject: build.commitSubject,
    });
    const cells = cellsByImage.get(build.image) ?? new Map<string, DashboardCell>();
    cells.set(date, toCell(date, build, outcome));
    cellsByImage.set(build.image, cells);
  }

  const rows = [...cellsByImage.keys()].sort().map((image): DashboardRow => {
    const cells = dates.map((date) => cellsByImage.get(image)?.get(date) ?? emptyCell(date));
    return { image, cells, streak: findStreak(cells), flips: countFlips(cells) };
  });
  return { days, columns: [...columns.values()], rows };
}

/** Lists the last `days` UTC dates up to `now`'s, oldest first. */
export function listDates(days: number, now: Date): string[] {
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  return Array.from({ length: days }, (_, index) => new Date(today - (days - 1 - index) * DAY_MS).toISOString().slice(0, 10));
}

function toCell(date: string, build: BuildOutcomeRow, outcome: Outcome): DashboardCell {
  return {
    date,
    outcome,
    runId: build.runId,
    validateRunId: build.validateRunId,
    shortCommit: build.shortCommit,
    durationMs: build.durationMs,
    error: build.error,
  };
}

function emptyCell(date: string): DashboardCell {
  return { date, outcome: 'not-run', runId: null, validateRunId: null, shortCommit: null, durationMs: null, error: null };
}

function findStreak(cells: DashboardCell[]): Streak | null {
  let streak: Streak | null = null;
  for (let index = cells.length - 1; index >= 0; index--) {
    const health = OUTCOME_STYLES[cells[index]!.outcome].health;
    if (health === 'neutral') continue;
    if (streak === null) streak = { health, length: 0 };
    if (health !== streak.health) break;
    streak.length++;
  }
  return streak;
}

function countFlips(cells: DashboardCell[]): number {
  let flips = 0;
  let previous: 'green' | 'red' | undefined;
  for (const cell of cells) {
    const health = OUTCOME_STYLES[cell.outcome].health;
    if (health === 'neutral') continue;
    if (previous === 'green' && health === 'red') flips++;
    previous = health;
  }
  return flips;
}
