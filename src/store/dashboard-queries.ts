import type Database from 'better-sqlite3';
import type { FailureCause, ImageStatus, RunStatus } from './types.js';
import type { ValidateImageRecord, ValidateStatus } from './validate-types.js';

type Row = Record<string, unknown>;

/** One image's build in one rebuild run, with the newest validation of that build. */
export interface BuildOutcomeRow {
  runId: string;
  image: string;
  status: ImageStatus;
  cause: FailureCause | null;
  error: string | null;
  durationMs: number | null;
  sizeBytes: number | null;
  /** The pushed manifest digest, or null when the image was not pushed. */
  digest: string | null;
  imageId: string | null;
  runStatus: RunStatus;
  startedAt: string;
  repo: string | null;
  commitHash: string | null;
  shortCommit: string | null;
  commitSubject: string | null;
  validateRunId: string | null;
  validateStatus: ValidateStatus | null;
  /** True when a command of that validation failed on staging and passed on production. */
  regression: boolean;
}

/** A failure that triage recorded under a fingerprint, with the GitHub issue filed for it. */
export interface TriagedFailure {
  runId: string;
  image: string;
  /** The step that failed, such as `build` or `validate`. */
  kind: string;
  fingerprintId: string;
  failureClass: string;
  explanation: string | null;
  issueNumber: number | null;
  issueUrl: string | null;
}

export interface BuildOutcomeFilter {
  /** Only builds of runs that started at or after this ISO time. */
  since?: string;
  /** Only builds of runs that started before this ISO time. */
  before?: string;
  image?: string;
  runId?: string;
  /** Newest builds first when set, oldest first otherwise. */
  newestFirst?: boolean;
  limit?: number;
}

/**
 * Distinct image names in order, found with one seek of the (image, run_id)
 * index per name. `SELECT DISTINCT` would read every build of every image.
 */
const IMAGE_NAMES_CTE = `
  WITH RECURSIVE names (image) AS (
    SELECT MIN(image) FROM image_results
    UNION ALL
    SELECT (SELECT MIN(image) FROM image_results WHERE image > names.image) FROM names WHERE names.image IS NOT NULL)`;

const IMAGE_NAMES_SQL = `${IMAGE_NAMES_CTE} SELECT image FROM names WHERE image IS NOT NULL`;

/**
 * Each image with the identity of its newest successful build before
 * `@before`, or null. The WHERE clause repeats the condition of the partial
 * index image_results_last_built, so each image costs one seek of that index.
 */
export const LAST_BUILT_IDENTITIES_SQL = `${IMAGE_NAMES_CTE}
  SELECT names.image, (
    SELECT COALESCE(i.image_id, i.digest) FROM image_results i
    WHERE i.image = names.image AND i.status = 'succeeded' AND COALESCE(i.image_id, i.digest) IS NOT NULL
      AND i.run_started_at < @before
    ORDER BY i.run_started_at DESC, i.run_id DESC LIMIT 1) AS identity
  FROM names WHERE names.image IS NOT NULL`;

/**
 * Read-only queries of the dashboard over the rebuild and validate tables.
 * Writers stay in `Store` and `ValidateStore`; this class never changes a row.
 */
export class DashboardQueries {
  constructor(private readonly db: Database.Database) {}

  /** Builds with their newest validation, in run start order. */
  listBuildOutcomes(filter: BuildOutcomeFilter = {}): BuildOutcomeRow[] {
    const conditions: string[] = [];
    const parameters: Record<string, unknown> = {};
    if (filter.since !== undefined) {
      conditions.push('r.started_at >= @since');
      parameters.since = filter.since;
    }
    if (filter.before !== undefined) {
      conditions.push('r.started_at < @before');
      parameters.before = filter.before;
    }
    if (filter.image !== undefined) {
      conditions.push('i.image = @image');
      parameters.image = filter.image;
    }
    if (filter.runId !== undefined) {
      conditions.push('i.run_id = @runId');
      parameters.runId = filter.runId;
    }
    const order = filter.newestFirst ? 'DESC' : 'ASC';
    parameters.limit = filter.limit ?? -1;

    // The newest validate row of each build is picked by a correlated subquery that the
    // (image, rebuild_run_id) index serves, so the matrix stays one query however long the window.
    const rows = this.db
      .prepare(
        `SELECT i.run_id, i.image, i.status, i.cause, i.error, i.duration_ms, i.size_bytes, i.digest, i.image_id,
           r.status AS run_status, r.started_at, r.repo, r.commit_hash, r.short_commit, r.commit_subject,
           v.run_id AS validate_run_id, v.status AS validate_status,
           EXISTS (SELECT 1 FROM command_results c
                   WHERE c.run_id = v.run_id AND c.image = v.image AND c.classification = 'image-regression') AS regression
         FROM image_results i
         JOIN runs r ON r.id = i.run_id
         LEFT JOIN validate_images v ON v.rowid = (
           SELECT v2.rowid FROM validate_images v2
           WHERE v2.image = i.image AND v2.rebuild_run_id = i.run_id
           ORDER BY v2.started_at DESC, v2.rowid DESC LIMIT 1)
         ${conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : ''}
         ORDER BY r.started_at ${order}, r.id ${order}, i.image
         LIMIT @limit`,
      )
      .all(parameters) as Row[];
    return rows.map(toBuildOutcome);
  }

  /**
   * The identity (image id, else pushed digest) of each image's newest
   * successful build that started before `before`, by image name. Builds
   * are ordered by their run's start, then run id.
   */
  listLastBuiltIdentities(before: string): Map<string, string> {
    const rows = this.db.prepare(LAST_BUILT_IDENTITIES_SQL).all({ before }) as Row[];
    const identities = new Map<string, string>();
    for (const row of rows) {
      if (row.identity !== null) identities.set(row.image as string, row.identity as string);
    }
    return identities;
  }

  /** Image names that have at least one build, sorted. */
  listImageNames(): string[] {
    const rows = this.db.prepare(IMAGE_NAMES_SQL).all() as Row[];
    return rows.map((row) => row.image as string);
  }

  hasImage(image: string): boolean {
    return this.db.prepare('SELECT 1 FROM image_results WHERE image = ? LIMIT 1').get(image) !== undefined;
  }

  /** Validations of the images a rebuild run built, oldest first. */
  listValidationsOfBuild(rebuildRunId: string): ValidateImageRecord[] {
    const rows = this.db
      .prepare('SELECT * FROM validate_images WHERE rebuild_run_id = ? ORDER BY started_at, rowid')
      .all(rebuildRunId) as Row[];
    return rows.map(toValidateImage);
  }

  /** Failures that triage recorded for any of these runs. */
  listTriagedFailures(runIds: string[]): TriagedFailure[] {
    if (runIds.length === 0) return [];
    const rows = this.db
      .prepare(
        `SELECT t.run_id, t.image, t.kind, t.fingerprint_id, t.class, t.explanation, f.issue_number, f.issue_url
         FROM triage_failures t JOIN fingerprints f ON f.id = t.fingerprint_id
         WHERE t.run_id IN (SELECT value FROM json_each(?))
         ORDER BY t.image, t.kind`,
      )
      .all(JSON.stringify(runIds)) as Row[];
    return rows.map((row) => ({
      runId: row.run_id as string,
      image: row.image as string,
      kind: row.kind as string,
      fingerprintId: row.fingerprint_id as string,
      failureClass: row.class as string,
      explanation: row.explanation as string | null,
      issueNumber: row.issue_number as number | null,
      issueUrl: row.issue_url as string | null,
    }));
  }

  getValidateImage(runId: string, image: string): ValidateImageRecord | undefined {
    const row = this.db.prepare('SELECT * FROM validate_images WHERE run_id = ? AND image = ?').get(runId, image) as Row | undefined;
    return row ? toValidateImage(row) : undefined;
  }
}

function toBuildOutcome(row: Row): BuildOutcomeRow {
  return {
    runId: row.run_id as string,
    image: row.image as string,
    status: row.status as ImageStatus,
    cause: row.cause as FailureCause | null,
    error: row.error as string | null,
    durationMs: row.duration_ms as number | null,
    sizeBytes: row.size_bytes as number | null,
    digest: row.digest as string | null,
    imageId: row.image_id as string | null,
    runStatus: row.run_status as RunStatus,
    startedAt: row.started_at as string,
    repo: row.repo as string | null,
    commitHash: row.commit_hash as string | null,
    shortCommit: row.short_commit as string | null,
    commitSubject: row.commit_subject as string | null,
    validateRunId: row.validate_run_id as string | null,
    validateStatus: row.validate_status as ValidateStatus | null,
    regression: row.regression === 1,
  };
}

function toValidateImage(row: Row): ValidateImageRecord {
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
