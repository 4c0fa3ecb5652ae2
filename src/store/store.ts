import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { DrydockError } from '../errors.js';
import { MIGRATIONS } from './migrations.js';
import type { ImageResultRecord, RunRecord, RunStatus } from './types.js';

type Row = Record<string, unknown>;

/** The SQLite store at `<state>/drydock.db`: runs and the result of each image in them. */
export class Store {
  readonly db: Database.Database;

  private constructor(db: Database.Database) {
    this.db = db;
  }

  static open(file: string): Store {
    mkdirSync(path.dirname(file), { recursive: true });
    const db = new Database(file);
    db.pragma('journal_mode = WAL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    migrate(db, file);
    return new Store(db);
  }

  close(): void {
    this.db.close();
  }

  insertRun(run: RunRecord): void {
    this.db
      .prepare(
        `INSERT INTO runs (id, kind, trigger, triggered_by, status, repo, commit_hash, short_commit, commit_subject,
           commit_author, committed_at, started_at, finished_at, error)
         VALUES (@id, @kind, @trigger, @triggeredBy, @status, @repo, @commitHash, @shortCommit, @commitSubject,
           @commitAuthor, @committedAt, @startedAt, @finishedAt, @error)`,
      )
      .run(run);
  }

  updateRun(id: string, fields: Partial<Omit<RunRecord, 'id'>>): void {
    const columns = Object.keys(fields).map((key) => `${toColumn(key)} = @${key}`);
    if (columns.length === 0) return;
    this.db.prepare(`UPDATE runs SET ${columns.join(', ')} WHERE id = @id`).run({ ...fields, id });
  }

  finishRun(id: string, status: RunStatus, finishedAt: string, error: string | null = null): void {
    this.updateRun(id, { status, finishedAt, error });
  }

  saveImageResult(result: ImageResultRecord): void {
    this.db
      .prepare(
        `INSERT INTO image_results (run_id, image, status, engine, notes, tags, digest, image_id, size_bytes, duration_ms,
           log_path, failed_step, error, cause, base_images, started_at, finished_at)
         VALUES (@runId, @image, @status, @engine, @notes, @tags, @digest, @imageId, @sizeBytes, @durationMs,
           @logPath, @failedStep, @error, @cause, @baseImages, @startedAt, @finishedAt)
         ON CONFLICT (run_id, image) DO UPDATE SET
           status = excluded.status, engine = excluded.engine, notes = excluded.notes, tags = excluded.tags, digest = excluded.digest, image_id = excluded.image_id,
           size_bytes = excluded.size_bytes, duration_ms = excluded.duration_ms, log_path = excluded.log_path,
           failed_step = excluded.failed_step, error = excluded.error, cause = excluded.cause,
           base_images = excluded.base_images, started_at = excluded.started_at, finished_at = excluded.finished_at`,
      )
      .run({ ...result, notes: JSON.stringify(result.notes), tags: JSON.stringify(result.tags), baseImages: JSON.stringify(result.baseImages) });
  }

  getRun(id: string): RunRecord | undefined {
    const row = this.db.prepare('SELECT * FROM runs WHERE id = ?').get(id) as Row | undefined;
    return row ? toRun(row) : undefined;
  }

  /** Runs, newest first. */
  listRuns(options: { limit?: number; since?: string } = {}): RunRecord[] {
    const rows = this.db
      .prepare('SELECT * FROM runs WHERE started_at >= ? ORDER BY started_at DESC, id DESC LIMIT ?')
      .all(options.since ?? '', options.limit ?? 1000) as Row[];
    return rows.map(toRun);
  }

  /** The duration of each image's last successful build, for scheduling the longest first. */
  lastSucceededDurations(images: string[]): Map<string, number> {
    const statement = this.db.prepare(
      `SELECT duration_ms FROM image_results WHERE image = ? AND status = 'succeeded' AND duration_ms IS NOT NULL
       ORDER BY finished_at DESC LIMIT 1`,
    );
    const durations = new Map<string, number>();
    for (const image of images) {
      const row = statement.get(image) as { duration_ms: number } | undefined;
      if (row) durations.set(image, row.duration_ms);
    }
    return durations;
  }

  listImageResults(runId: string): ImageResultRecord[] {
    const rows = this.db.prepare('SELECT * FROM image_results WHERE run_id = ? ORDER BY rowid').all(runId) as Row[];
    return rows.map(toImageResult);
  }

  /** Image results of every run that started at or after `since`, oldest run first. */
  listImageResultsSince(since: string): (ImageResultRecord & { run: RunRecord })[] {
    const rows = this.db
      .prepare(
        `SELECT r.*, i.run_id AS i_run_id, i.image AS i_image, i.status AS i_status, i.tags AS i_tags,
           i.engine AS i_engine, i.notes AS i_notes, i.digest AS i_digest, i.image_id AS i_image_id, i.size_bytes AS i_size_bytes, i.duration_ms AS i_duration_ms,
           i.log_path AS i_log_path, i.failed_step AS i_failed_step, i.error AS i_error, i.cause AS i_cause,
           i.base_images AS i_base_images, i.started_at AS i_started_at, i.finished_at AS i_finished_at
         FROM image_results i JOIN runs r ON r.id = i.run_id
         WHERE r.started_at >= ? ORDER BY r.started_at, i.image`,
      )
      .all(since) as Row[];
    return rows.map((row) => {
      const imageRow = Object.fromEntries(
        Object.entries(row)
          .filter(([key]) => key.startsWith('i_'))
          .map(([key, value]) => [key.slice(2), value]),
      );
      return { ...toImageResult(imageRow), run: toRun(row) };
    });
  }
}

function migrate(db: Database.Database, file: string): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version > MIGRATIONS.length) {
    throw new DrydockError(`the store ${file} has schema version ${version}, newer than this drydock knows (${MIGRATIONS.length})`, {
      fix: 'upgrade drydock, or point --state-dir at another folder',
    });
  }
  for (let next = version; next < MIGRATIONS.length; next++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[next]!);
      db.pragma(`user_version = ${next + 1}`);
    })();
  }
}

function toColumn(key: string): string {
  return key.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);
}

function toRun(row: Row): RunRecord {
  return {
    id: row.id as string,
    kind: row.kind as RunRecord['kind'],
    trigger: row.trigger as string,
    triggeredBy: row.triggered_by as string | null,
    status: row.status as RunStatus,
    repo: row.repo as string | null,
    commitHash: row.commit_hash as string | null,
    shortCommit: row.short_commit as string | null,
    commitSubject: row.commit_subject as string | null,
    commitAuthor: row.commit_author as string | null,
    committedAt: row.committed_at as string | null,
    startedAt: row.started_at as string,
    finishedAt: row.finished_at as string | null,
    error: row.error as string | null,
  };
}

function toImageResult(row: Row): ImageResultRecord {
  return {
    runId: row.run_id as string,
    image: row.image as string,
    status: row.status as ImageResultRecord['status'],
    engine: (row.engine as string | null) ?? null,
    notes: JSON.parse((row.notes as string | undefined) ?? '[]') as string[],
    tags: JSON.parse(row.tags as string) as string[],
    digest: row.digest as string | null,
    imageId: row.image_id as string | null,
    sizeBytes: row.size_bytes as number | null,
    durationMs: row.duration_ms as number | null,
    logPath: row.log_path as string | null,
    failedStep: row.failed_step as string | null,
    error: row.error as string | null,
    cause: row.cause as ImageResultRecord['cause'],
    baseImages: JSON.parse(row.base_images as string) as Record<string, string | null>,
    startedAt: row.started_at as string | null,
    finishedAt: row.finished_at as string | null,
  };
}
