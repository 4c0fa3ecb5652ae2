import { createReadStream, createWriteStream, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import type { Settings } from '../config/load-config.js';
import type { EnginePool } from '../engine/engine-pool.js';
import type { Logger } from '../logger.js';
import type { Store } from '../store/store.js';

const DAY_MS = 24 * 60 * 60 * 1000;
const BYTES_PER_MEGABYTE = 1024 * 1024;
/**
 * Minimum time between two image prunes of one state directory. Listing an
 * engine's images took about 0.15 s on a test engine with 850 images, and
 * image ages count in days, so an hourly prune loses nothing.
 */
const IMAGE_PRUNE_INTERVAL_MS = 60 * 60 * 1000;
/** File in the state directory that contains the time of the last image prune. */
const IMAGE_PRUNE_MARKER = 'last-image-prune';

export interface RetentionReport {
  compressedFiles: number;
  deletedRunLogs: string[];
  removedImages: number;
  /** Whether this pass pruned images: false when the last prune was less than an hour before. */
  prunedImages: boolean;
}

/**
 * Applies `retention:` after a run: compresses old logs, deletes the log
 * folders of runs past the age or total-size limit (the store keeps their
 * summaries), and removes old untagged-but-`latest` images that drydock
 * built, at most once an hour. Runs still going are never touched.
 */
export async function applyRetention(settings: Settings, store: Store, pool: EnginePool, logger: Logger, now = new Date()): Promise<RetentionReport> {
  const report: RetentionReport = { compressedFiles: 0, deletedRunLogs: [], removedImages: 0, prunedImages: false };
  const logsDir = path.join(settings.stateDir, 'logs');
  const { compressLogsAfterDays, deleteLogsAfterDays, maxLogMegabytes, pruneImagesAfterDays } = settings.retention;

  const runs = listRunLogFolders(logsDir, store)
    .filter((entry) => entry.finishedAt !== null)
    .sort((a, b) => b.startedAt.localeCompare(a.startedAt));

  let keptBytes = 0;
  for (const entry of runs) {
    const ageMs = now.getTime() - Date.parse(entry.finishedAt!);
    const tooOld = ageMs > deleteLogsAfterDays * DAY_MS;
    const overBudget = keptBytes + entry.bytes > maxLogMegabytes * BYTES_PER_MEGABYTE;
    if (tooOld || overBudget) {
      rmSync(entry.folder, { recursive: true, force: true });
      forgetLogPaths(store, entry.runId);
      report.deletedRunLogs.push(entry.runId);
      continue;
    }
    if (ageMs > compressLogsAfterDays * DAY_MS) report.compressedFiles += await compressLogs(entry.folder, store, entry.runId);
    keptBytes += folderBytes(entry.folder);
  }

  if (isImagePruneDue(settings.stateDir, now)) {
    report.removedImages = await pruneOldImages(pool, pruneImagesAfterDays, logger, now);
    report.prunedImages = true;
    writeFileSync(path.join(settings.stateDir, IMAGE_PRUNE_MARKER), `${now.toISOString()}\n`);
  }
  if (report.deletedRunLogs.length > 0 || report.compressedFiles > 0 || report.removedImages > 0) {
    logger.info({ ...report, deletedRunLogs: report.deletedRunLogs.length }, 'retention applied');
  }
  return report;
}

interface RunLogFolder {
  runId: string;
  folder: string;
  bytes: number;
  startedAt: string;
  finishedAt: string | null;
}

function listRunLogFolders(logsDir: string, store: Store): RunLogFolder[] {
  let names: string[];
  try {
    names = readdirSync(logsDir);
  } catch {
    return [];
  }
  const folders: RunLogFolder[] = [];
  for (const runId of names) {
    const run = store.getRun(runId);
    // A folder without a run in the store is not drydock's to judge; leave it.
    if (!run) continue;
    const folder = path.join(logsDir, runId);
    folders.push({ runId, folder, bytes: folderBytes(folder), startedAt: run.startedAt, finishedAt: run.status === 'running' ? null : run.finishedAt });
  }
  return folders;
}

function folderBytes(folder: string): number {
  return readdirSync(folder).reduce((total, name) => total + statSync(path.join(folder, name)).size, 0);
}

/** Tells whether the last image prune is an hour old, in the future, unreadable or missing. */
function isImagePruneDue(stateDir: string, now: Date): boolean {
  let elapsedMs: number;
  try {
    elapsedMs = now.getTime() - Date.parse(readFileSync(path.join(stateDir, IMAGE_PRUNE_MARKER), 'utf8').trim());
  } catch {
    return true;
  }
  const recent = elapsedMs >= 0 && elapsedMs < IMAGE_PRUNE_INTERVAL_MS;
  return !recent;
}

/** Gzips each plain log of a run and points the store at the `.gz` file. */
async function compressLogs(folder: string, store: Store, runId: string): Promise<number> {
  let count = 0;
  for (const name of readdirSync(folder)) {
    if (!name.endsWith('.log')) continue;
    const file = path.join(folder, name);
    await pipeline(createReadStream(file), createGzip(), createWriteStream(`${file}.gz`));
    rmSync(file);
    updateLogPath(store, runId, file, `${file}.gz`);
    count++;
  }
  return count;
}

/** Log columns of the tables that point at log files. */
const LOG_PATH_COLUMNS = [
  { table: 'image_results', column: 'log_path' },
  { table: 'validate_images', column: 'log_path' },
];

function updateLogPath(store: Store, runId: string, from: string, to: string): void {
  for (const { table, column } of existingLogColumns(store)) {
    store.db.prepare(`UPDATE ${table} SET ${column} = ? WHERE run_id = ? AND ${column} = ?`).run(to, runId, from);
  }
}

function forgetLogPaths(store: Store, runId: string): void {
  for (const { table, column } of existingLogColumns(store)) {
    store.db.prepare(`UPDATE ${table} SET ${column} = NULL WHERE run_id = ?`).run(runId);
  }
}

function existingLogColumns(store: Store) {
  return LOG_PATH_COLUMNS.filter(({ table, column }) =>
    (store.db.prepare(`SELECT name FROM pragma_table_info(?)`).all(table) as { name: string }[]).some((row) => row.name === column),
  );
}

/**
 * Removes images labelled by drydock that are older than `days` and no
 * longer tagged `latest`: superseded builds, already in the staging registry
 * when one is configured. Images without drydock's label are never touched.
 */
async function pruneOldImages(pool: EnginePool, days: number, logger: Logger, now: Date): Promise<number> {
  let removed = 0;
  const cutoffSeconds = (now.getTime() - days * DAY_MS) / 1000;
  const engines = pool.engines.filter((engine) => engine.state === 'up');
  const listed = await Promise.all(engines.map((engine) => engine.docker.listImages({ filters: JSON.stringify({ label: ['drydock.run-id'] }) })));
  for (const [index, engine] of engines.entries()) {
    for (const image of listed[index]!) {
      const tags = image.RepoTags ?? [];
      if (image.Created > cutoffSeconds || tags.some((tag) => tag.endsWith(':latest'))) continue;
      await engine.docker.getImage(image.Id).remove().then(
        () => removed++,
        (error: Error) => logger.debug({ engine: engine.name, image: image.Id, err: error }, 'old image kept: it is in use'),
      );
    }
  }
  return removed;
}
