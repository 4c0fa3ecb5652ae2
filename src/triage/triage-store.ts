import type Database from 'better-sqlite3';
import type { KnownFingerprint } from './fingerprint.js';
import type { GreenBuild, SuspectRange } from './suspect-range.js';
import type { FailureClass, FailureKind } from './types.js';

type Row = Record<string, unknown>;

/** One failed image in one run, filed under a fingerprint. */
export interface TriageFailureRecord {
  runId: string;
  image: string;
  kind: FailureKind;
  fingerprintId: string;
  /** The id of this failure's own text, before near-duplicate grouping. */
  exactId: string;
  failureClass: FailureClass;
  errorLines: string[];
  failedStep: string | null;
  error: string | null;
  logPath: string | null;
  suspectRange: SuspectRange | null;
  explanation: string | null;
  /** When the run started: the night this failure belongs to. */
  seenAt: string;
}

export interface FingerprintRecord extends KnownFingerprint {
  /** The error lines of the first failure of this group. */
  errorLines: string[];
  issueNumber: number | null;
  issueUrl: string | null;
}

/** A fingerprint with what its failures add up to, for `drydock triage`. */
export interface FingerprintSummary extends FingerprintRecord {
  images: string[];
  firstSeen: string;
  lastSeen: string;
  count: number;
  latest: TriageFailureRecord;
}

/** Fingerprints and the failures filed under them, in the run store's database. */
export class TriageStore {
  constructor(private readonly db: Database.Database) {}

  listFingerprints(): FingerprintRecord[] {
    const rows = this.db.prepare('SELECT * FROM fingerprints ORDER BY id').all() as Row[];
    return rows.map(toFingerprint);
  }

  getFingerprint(id: string): FingerprintRecord | undefined {
    const row = this.db.prepare('SELECT * FROM fingerprints WHERE id = ?').get(id) as Row | undefined;
    return row ? toFingerprint(row) : undefined;
  }

  /**
   * Records a failure, and its fingerprint when the id is new: the first
   * failure's text stays the group's text, so later near duplicates are
   * compared with a text that does not drift.
   */
  saveFailure(failure: TriageFailureRecord, normalized: string): void {
    this.db.transaction(() => {
      this.db
        .prepare(
          `INSERT INTO fingerprints (id, class, normalized, error_lines) VALUES (?, ?, ?, ?)
           ON CONFLICT (id) DO NOTHING`,
        )
        .run(failure.fingerprintId, failure.failureClass, normalized, JSON.stringify(failure.errorLines));
      this.db
        .prepare(
          `INSERT INTO triage_failures (run_id, image, kind, fingerprint_id, exact_id, class, error_lines, failed_step, error,
             log_path, suspect_range, explanation, seen_at)
           VALUES (@runId, @image, @kind, @fingerprintId, @exactId, @failureClass, @errorLines, @failedStep, @error,
             @logPath, @suspectRange, @explanation, @seenAt)
           ON CONFLICT (run_id, image, kind) DO UPDATE SET
             fingerprint_id = excluded.fingerprint_id, exact_id = excluded.exact_id, class = excluded.class,
             error_lines = excluded.error_lines, failed_step = excluded.failed_step, error = excluded.error,
             log_path = excluded.log_path, suspect_range = excluded.suspect_range, explanation = excluded.explanation,
             seen_at = excluded.seen_at`,
        )
        .run({
          ...failure,
          errorLines: JSON.stringify(failure.errorLines),
          suspectRange: failure.suspectRange === null ? null : JSON.stringify(failure.suspectRange),
        });
    })();
  }

  setIssue(fingerprintId: string, issue: { number: number; url: string }): void {
    this.db.prepare('UPDATE fingerprints SET issue_number = ?, issue_url = ? WHERE id = ?').run(issue.number, issue.url, fingerprintId);
  }

  getFailure(runId: string, image: string, kind: FailureKind): TriageFailureRecord | undefined {
    const row = this.db.prepare('SELECT * FROM triage_failures WHERE run_id = ? AND image = ? AND kind = ?').get(runId, image, kind) as Row | undefined;
    return row ? toFailure(row) : undefined;
  }

  /** Returns the newest recorded failure of an image, of either kind. */
  findLatestFailure(image: string): TriageFailureRecord | undefined {
    const row = this.db
      .prepare('SELECT * FROM triage_failures WHERE image = ? ORDER BY seen_at DESC, run_id DESC LIMIT 1')
      .get(image) as Row | undefined;
    return row ? toFailure(row) : undefined;
  }

  /** Failures recorded for one run, by image. */
  listRunFailures(runId: string): TriageFailureRecord[] {
    const rows = this.db.prepare('SELECT * FROM triage_failures WHERE run_id = ? ORDER BY image, kind').all(runId) as Row[];
    return rows.map(toFailure);
  }

  /** Lists every fingerprint with its images, first and last night, count and newest failure, newest first. */
  listSummaries(): FingerprintSummary[] {
    const summaries: FingerprintSummary[] = [];
    for (const fingerprint of this.listFingerprints()) {
      const rows = this.db
        .prepare('SELECT * FROM triage_failures WHERE fingerprint_id = ? ORDER BY seen_at, run_id')
        .all(fingerprint.id) as Row[];
      if (rows.length === 0) continue;
      const failures = rows.map(toFailure);
      summaries.push({
        ...fingerprint,
        images: [...new Set(failures.map((failure) => failure.image))].sort(),
        firstSeen: failures[0]!.seenAt,
        lastSeen: failures.at(-1)!.seenAt,
        count: failures.length,
        latest: failures.at(-1)!,
      });
    }
    return summaries.sort((a, b) => b.lastSeen.localeCompare(a.lastSeen) || a.id.localeCompare(b.id));
  }

  /** Returns the newest successful build of an image from a run that started before `runId`'s run. */
  findLastGreenBuild(image: string, runId: string): GreenBuild | null {
    const row = this.db
      .prepare(
        `SELECT r.id, r.commit_hash, r.started_at, i.base_images FROM image_results i
         JOIN runs r ON r.id = i.run_id
         JOIN runs current ON current.id = ?
         WHERE i.image = ? AND i.status = 'succeeded' AND r.commit_hash IS NOT NULL
           AND (r.started_at < current.started_at OR (r.started_at = current.started_at AND r.id < current.id))
         ORDER BY r.started_at DESC, r.id DESC LIMIT 1`,
      )
      .get(runId, image) as Row | undefined;
    if (!row) return null;
    return {
      runId: row.id as string,
      commit: row.commit_hash as string,
      startedAt: row.started_at as string,
      baseImages: JSON.parse(row.base_images as string) as Record<string, string | null>,
    };
  }

  /**
   * Returns the newest build of an image, from a rebuild run that started
   * before `rebuildRunId`'s, that some validate run passed.
   */
  findLastValidatedBuild(image: string, rebuildRunId: string): GreenBuild | null {
    const row = this.db
      .prepare(
        `SELECT r.id, r.commit_hash, r.started_at, i.base_images FROM validate_images v
         JOIN runs r ON r.id = v.rebuild_run_id
         JOIN image_results i ON i.run_id = v.rebuild_run_id AND i.image = v.image
         JOIN runs current ON current.id = ?
         WHERE v.image = ? AND v.status = 'passed' AND r.commit_hash IS NOT NULL
           AND (r.started_at < current.started_at OR (r.started_at = current.started_at AND r.id < current.id))
         ORDER BY r.started_at DESC, r.id DESC LIMIT 1`,
      )
      .get(rebuildRunId, image) as Row | undefined;
    if (!row) return null;
    return {
      runId: row.id as string,
      commit: row.commit_hash as string,
      startedAt: row.started_at as string,
      baseImages: JSON.parse(row.base_images as string) as Record<string, string | null>,
    };
  }

  /** Like `countConsecutiveBuildFailures`, over the image's validations: `passed` ends the count. */
  countConsecutiveValidateFailures(image: string, runId: string, fingerprintId: string): number {
    const rows = this.db
      .prepare(
        `SELECT v.status, t.fingerprint_id FROM validate_images v
         JOIN runs r ON r.id = v.run_id
         JOIN runs current ON current.id = ?
         LEFT JOIN triage_failures t ON t.run_id = v.run_id AND t.image = v.image AND t.kind = 'validate'
         WHERE v.image = ? AND (r.started_at < current.started_at OR (r.started_at = current.started_at AND r.id <= current.id))
         ORDER BY r.started_at DESC, r.id DESC`,
      )
      .all(runId, image) as Row[];

    let count = 0;
    for (const row of rows) {
      if (row.status !== 'passed' && row.status !== 'failed' && row.status !== 'error') continue;
      if (row.status === 'passed' || row.fingerprint_id !== fingerprintId) break;
      count++;
    }
    return count;
  }

  /** Returns the first command of a validation that did not pass, or null. */
  findFailedCommand(runId: string, image: string): string | null {
    const row = this.db
      .prepare("SELECT command FROM command_results WHERE run_id = ? AND image = ? AND status != 'passed' ORDER BY position LIMIT 1")
      .get(runId, image) as Row | undefined;
    return row ? (row.command as string) : null;
  }

  /**
   * Counts the image's builds, newest first from `runId` back, that failed
   * with this fingerprint, up to the first build that succeeded or failed
   * otherwise. Builds that were skipped, cancelled or never finished are
   * passed over, because they show nothing about the breakage.
   */
  countConsecutiveBuildFailures(image: string, runId: string, fingerprintId: string): number {
    const rows = this.db
      .prepare(
        `SELECT i.status, t.fingerprint_id FROM image_results i
         JOIN runs r ON r.id = i.run_id
         JOIN runs current ON current.id = ?
         LEFT JOIN triage_failures t ON t.run_id = i.run_id AND t.image = i.image AND t.kind = 'build'
         WHERE i.image = ? AND (r.started_at < current.started_at OR (r.started_at = current.started_at AND r.id <= current.id))
         ORDER BY r.started_at DESC, r.id DESC`,
      )
      .all(runId, image) as Row[];

    let count = 0;
    for (const row of rows) {
      if (row.status !== 'succeeded' && row.status !== 'failed') continue;
      if (row.status === 'succeeded' || row.fingerprint_id !== fingerprintId) break;
      count++;
    }
    return count;
  }
}

function toFingerprint(row: Row): FingerprintRecord {
  return {
    id: row.id as string,
    failureClass: row.class as FailureClass,
    normalized: row.normalized as string,
    errorLines: JSON.parse(row.error_lines as string) as string[],
    issueNumber: row.issue_number as number | null,
    issueUrl: row.issue_url as string | null,
  };
}

function toFailure(row: Row): TriageFailureRecord {
  return {
    runId: row.run_id as string,
    image: row.image as string,
    kind: row.kind as FailureKind,
    fingerprintId: row.fingerprint_id as string,
    exactId: row.exact_id as string,
    failureClass: row.class as FailureClass,
    errorLines: JSON.parse(row.error_lines as string) as string[],
    failedStep: row.failed_step as string | null,
    error: row.error as string | null,
    logPath: row.log_path as string | null,
    suspectRange: row.suspect_range === null ? null : (JSON.parse(row.suspect_range as string) as SuspectRange),
    explanation: row.explanation as string | null,
    seenAt: row.seen_at as string,
  };
}
