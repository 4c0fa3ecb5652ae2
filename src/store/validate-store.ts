import type Database from 'better-sqlite3';
import type {
  CommandResultRecord,
  JUnitSummary,
  TestFailure,
  ValidateImageRecord,
} from './validate-types.js';

type Row = Record<string, unknown>;

/** The link from a nightly run to the rebuild and validate runs it started. */
export interface NightlyLink {
  runId: string;
  rebuildRunId: string | null;
  validateRunId: string | null;
}

/** Validate runs, their image and command results, failing test cases and nightly links, in the SQLite store. */
export class ValidateStore {
  constructor(private readonly db: Database.Database) {}

  insertValidateRun(runId: string, rebuildRunId: string): void {
    this.db.prepare('INSERT INTO validate_runs (run_id, rebuild_run_id) VALUES (?, ?)').run(runId, rebuildRunId);
  }

  /** Returns the rebuild run a validate run tested, or undefined for a run that is not a validate run. */
  getRebuildRunOf(validateRunId: string): string | undefined {
    const row = this.db.prepare('SELECT rebuild_run_id FROM validate_runs WHERE run_id = ?').get(validateRunId) as Row | undefined;
    return row?.rebuild_run_id as string | undefined;
  }

  saveImage(record: ValidateImageRecord): void {
    this.db
      .prepare(
        `INSERT INTO validate_images (run_id, image, rebuild_run_id, status, reference, log_path, error, cause, inventory_error,
           duration_ms, started_at, finished_at)
         VALUES (@runId, @image, @rebuildRunId, @status, @reference, @logPath, @error, @cause, @inventoryError,
           @durationMs, @startedAt, @finishedAt)
         ON CONFLICT (run_id, image) DO UPDATE SET
           status = excluded.status, reference = excluded.reference, log_path = excluded.log_path, error = excluded.error,
           cause = excluded.cause, inventory_error = excluded.inventory_error, duration_ms = excluded.duration_ms,
           started_at = excluded.started_at, finished_at = excluded.finished_at`,
      )
      .run(record);
  }

  /** Replaces a command's result and its failing test cases in one transaction. */
  saveCommand(record: CommandResultRecord): void {
    const key = { runId: record.runId, image: record.image, position: record.position };
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM test_failures WHERE run_id = @runId AND image = @image AND position = @position').run(key);
      this.db
        .prepare(
          `INSERT INTO command_results (run_id, image, position, command, status, exit_code, duration_ms, error, junit_files,
             tests_passed, tests_failed, tests_skipped, classification, production_reference, production_status,
             production_exit_code, production_note)
           VALUES (@runId, @image, @position, @command, @status, @exitCode, @durationMs, @error, @junitFiles,
             @testsPassed, @testsFailed, @testsSkipped, @classification, @productionReference, @productionStatus,
             @productionExitCode, @productionNote)
           ON CONFLICT (run_id, image, position) DO UPDATE SET
             command = excluded.command, status = excluded.status, exit_code = excluded.exit_code,
             duration_ms = excluded.duration_ms, error = excluded.error, junit_files = excluded.junit_files,
             tests_passed = excluded.tests_passed, tests_failed = excluded.tests_failed, tests_skipped = excluded.tests_skipped,
             classification = excluded.classification, production_reference = excluded.production_reference,
             production_status = excluded.production_status, production_exit_code = excluded.production_exit_code,
             production_note = excluded.production_note`,
        )
        .run({
          ...key,
          command: record.command,
          status: record.status,
          exitCode: record.exitCode,
          durationMs: record.durationMs,
          error: record.error,
          junitFiles: JSON.stringify(record.junit?.files ?? []),
          testsPassed: record.junit?.passed ?? null,
          testsFailed: record.junit?.failed ?? null,
          testsSkipped: record.junit?.skipped ?? null,
          classification: record.classification,
          productionReference: record.production?.reference ?? null,
          productionStatus: record.production?.status ?? null,
          productionExitCode: record.production?.exitCode ?? null,
          productionNote: record.production?.note ?? null,
        });
      const insertFailure = this.db.prepare(
        `INSERT INTO test_failures (run_id, image, position, suite, classname, name, kind, message)
         VALUES (@runId, @image, @position, @suite, @classname, @name, @kind, @message)`,
      );
      for (const failure of record.junit?.failures ?? []) insertFailure.run({ ...key, ...failure });
    })();
  }

  listImages(runId: string): ValidateImageRecord[] {
    const rows = this.db.prepare('SELECT * FROM validate_images WHERE run_id = ? ORDER BY rowid').all(runId) as Row[];
    return rows.map(toImage);
  }

  listCommands(runId: string, image: string): CommandResultRecord[] {
    const rows = this.db
      .prepare('SELECT * FROM command_results WHERE run_id = ? AND image = ? ORDER BY position')
      .all(runId, image) as Row[];
    const failures = this.db
      .prepare('SELECT * FROM test_failures WHERE run_id = ? AND image = ? ORDER BY rowid')
      .all(runId, image) as Row[];
    return rows.map((row) => toCommand(row, failures.filter((failure) => failure.position === row.position)));
  }

  /** True when some validate run passed the image as built by `rebuildRunId`. */
  isGreenBuild(rebuildRunId: string, image: string): boolean {
    const row = this.db
      .prepare("SELECT 1 FROM validate_images WHERE rebuild_run_id = ? AND image = ? AND status = 'passed' LIMIT 1")
      .get(rebuildRunId, image);
    return row !== undefined;
  }

  /** Finds the rebuild run that tagged one of its images `tag`, the newest when several did. */
  findRunByTag(tag: string): string | undefined {
    const row = this.db
      .prepare(
        `SELECT i.run_id FROM image_results i JOIN runs r ON r.id = i.run_id, json_each(i.tags) t
         WHERE r.kind = 'rebuild' AND substr(t.value, -length(?) - 1) = ':' || ?
         ORDER BY r.started_at DESC LIMIT 1`,
      )
      .get(tag, tag) as Row | undefined;
    return row?.run_id as string | undefined;
  }

  /** Finds the newest rebuild run that built at least one image. */
  findLatestBuiltRun(): string | undefined {
    const row = this.db
      .prepare(
        `SELECT r.id FROM runs r
         WHERE r.kind = 'rebuild' AND EXISTS (SELECT 1 FROM image_results i WHERE i.run_id = r.id AND i.status = 'succeeded')
         ORDER BY r.started_at DESC, r.id DESC LIMIT 1`,
      )
      .get() as Row | undefined;
    return row?.id as string | undefined;
  }

  saveNightlyLink(link: NightlyLink): void {
    this.db
      .prepare(
        `INSERT INTO nightly_runs (run_id, rebuild_run_id, validate_run_id) VALUES (@runId, @rebuildRunId, @validateRunId)
         ON CONFLICT (run_id) DO UPDATE SET rebuild_run_id = excluded.rebuild_run_id, validate_run_id = excluded.validate_run_id`,
      )
      .run(link);
  }

  getNightlyLink(runId: string): NightlyLink | undefined {
    const row = this.db.prepare('SELECT * FROM nightly_runs WHERE run_id = ?').get(runId) as Row | undefined;
    if (!row) return undefined;
    return {
      runId: row.run_id as string,
      rebuildRunId: row.rebuild_run_id as string | null,
      validateRunId: row.validate_run_id as string | null,
    };
  }
}

function toImage(row: Row): ValidateImageRecord {
  return {
    runId: row.run_id as string,
    image: row.image as string,
    rebuildRunId: row.rebuild_run_id as string,
    status: row.status as ValidateImageRecord['status'],
    reference: row.reference as string | null,
    logPath: row.log_path as string | null,
    error: row.error as string | null,
    cause: row.cause as ValidateImageRecord['cause'],
    inventoryError: row.inventory_error as string | null,
    durationMs: row.duration_ms as number | null,
    startedAt: row.started_at as string | null,
    finishedAt: row.finished_at as string | null,
  };
}

function toCommand(row: Row, failureRows: Row[]): CommandResultRecord {
  const files = JSON.parse(row.junit_files as string) as string[];
  const junit: JUnitSummary | null =
    row.tests_passed === null
      ? null
      : {
          files,
          passed: row.tests_passed as number,
          failed: row.tests_failed as number,
          skipped: row.tests_skipped as number,
          failures: failureRows.map(
            (failure): TestFailure => ({
              suite: failure.suite as string | null,
              classname: failure.classname as string | null,
              name: failure.name as string,
              kind: failure.kind as TestFailure['kind'],
              message: failure.message as string | null,
            }),
          ),
        };
  const hasRerun = row.production_status !== null || row.production_note !== null || row.production_reference !== null;
  return {
    runId: row.run_id as string,
    image: row.image as string,
    position: row.position as number,
    command: row.command as string,
    status: row.status as CommandResultRecord['status'],
    exitCode: row.exit_code as number | null,
    durationMs: row.duration_ms as number | null,
    error: row.error as string | null,
    junit,
    classification: row.classification as CommandResultRecord['classification'],
    production: hasRerun
      ? {
          reference: row.production_reference as string | null,
          status: row.production_status as CommandResultRecord['status'] | null,
          exitCode: row.production_exit_code as number | null,
          note: row.production_note as string | null,
        }
      : null,
  };
}
