/**
 * Schema versions, applied in order. Each entry moves the database from
 * version `index` to `index + 1` (SQLite's `user_version`). Never edit a
 * released entry: append a new one.
 */
export const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE runs (
    id             TEXT PRIMARY KEY,
    kind           TEXT NOT NULL,
    trigger        TEXT NOT NULL,
    triggered_by   TEXT,
    status         TEXT NOT NULL,
    repo           TEXT,
    commit_hash    TEXT,
    short_commit   TEXT,
    commit_subject TEXT,
    commit_author  TEXT,
    committed_at   TEXT,
    started_at     TEXT NOT NULL,
    finished_at    TEXT,
    error          TEXT
  );
  CREATE INDEX runs_started_at ON runs (started_at);

  CREATE TABLE image_results (
    run_id       TEXT NOT NULL REFERENCES runs (id),
    image        TEXT NOT NULL,
    status       TEXT NOT NULL,
    tags         TEXT NOT NULL DEFAULT '[]',
    digest       TEXT,
    image_id     TEXT,
    size_bytes   INTEGER,
    duration_ms  INTEGER,
    log_path     TEXT,
    failed_step  TEXT,
    error        TEXT,
    cause        TEXT,
    base_images  TEXT NOT NULL DEFAULT '{}',
    started_at   TEXT,
    finished_at  TEXT,
    PRIMARY KEY (run_id, image)
  );
  CREATE INDEX image_results_image ON image_results (image, run_id);
  `,
];
