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
  `
  CREATE TABLE validate_runs (
    run_id          TEXT PRIMARY KEY REFERENCES runs (id),
    rebuild_run_id  TEXT NOT NULL REFERENCES runs (id)
  );

  CREATE TABLE validate_images (
    run_id          TEXT NOT NULL REFERENCES runs (id),
    image           TEXT NOT NULL,
    rebuild_run_id  TEXT NOT NULL REFERENCES runs (id),
    status          TEXT NOT NULL,
    reference       TEXT,
    log_path        TEXT,
    error           TEXT,
    cause           TEXT,
    inventory_error TEXT,
    duration_ms     INTEGER,
    started_at      TEXT,
    finished_at     TEXT,
    PRIMARY KEY (run_id, image)
  );
  CREATE INDEX validate_images_build ON validate_images (image, rebuild_run_id);

  CREATE TABLE command_results (
    run_id                  TEXT NOT NULL,
    image                   TEXT NOT NULL,
    position                INTEGER NOT NULL,
    command                 TEXT NOT NULL,
    status                  TEXT NOT NULL,
    exit_code               INTEGER,
    duration_ms             INTEGER,
    error                   TEXT,
    junit_files             TEXT NOT NULL DEFAULT '[]',
    tests_passed            INTEGER,
    tests_failed            INTEGER,
    tests_skipped           INTEGER,
    classification          TEXT,
    production_reference    TEXT,
    production_status       TEXT,
    production_exit_code    INTEGER,
    production_note         TEXT,
    PRIMARY KEY (run_id, image, position),
    FOREIGN KEY (run_id, image) REFERENCES validate_images (run_id, image)
  );

  CREATE TABLE test_failures (
    run_id     TEXT NOT NULL,
    image      TEXT NOT NULL,
    position   INTEGER NOT NULL,
    suite      TEXT,
    classname  TEXT,
    name       TEXT NOT NULL,
    kind       TEXT NOT NULL,
    message    TEXT,
    FOREIGN KEY (run_id, image, position) REFERENCES command_results (run_id, image, position)
  );
  CREATE INDEX test_failures_command ON test_failures (run_id, image, position);

  CREATE TABLE inventories (
    rebuild_run_id   TEXT NOT NULL REFERENCES runs (id),
    image            TEXT NOT NULL,
    validate_run_id  TEXT NOT NULL REFERENCES runs (id),
    image_ref        TEXT NOT NULL,
    taken_at         TEXT NOT NULL,
    os_release       TEXT NOT NULL DEFAULT '{}',
    python           TEXT NOT NULL DEFAULT '[]',
    debian           TEXT NOT NULL DEFAULT '{}',
    PRIMARY KEY (rebuild_run_id, image)
  );
  CREATE INDEX inventories_image ON inventories (image, taken_at);

  CREATE TABLE nightly_runs (
    run_id           TEXT PRIMARY KEY REFERENCES runs (id),
    rebuild_run_id   TEXT REFERENCES runs (id),
    validate_run_id  TEXT REFERENCES runs (id)
  );
  `,
  `
  ALTER TABLE image_results ADD COLUMN engine TEXT;
  ALTER TABLE image_results ADD COLUMN notes TEXT NOT NULL DEFAULT '[]';
  `,
  `
  CREATE TABLE fingerprints (
    id            TEXT PRIMARY KEY,
    class         TEXT NOT NULL,
    normalized    TEXT NOT NULL,
    error_lines   TEXT NOT NULL DEFAULT '[]',
    issue_number  INTEGER,
    issue_url     TEXT
  );

  CREATE TABLE triage_failures (
    run_id          TEXT NOT NULL REFERENCES runs (id),
    image           TEXT NOT NULL,
    kind            TEXT NOT NULL,
    fingerprint_id  TEXT NOT NULL REFERENCES fingerprints (id),
    exact_id        TEXT NOT NULL,
    class           TEXT NOT NULL,
    error_lines     TEXT NOT NULL DEFAULT '[]',
    failed_step     TEXT,
    error           TEXT,
    log_path        TEXT,
    suspect_range   TEXT,
    explanation     TEXT,
    seen_at         TEXT NOT NULL,
    PRIMARY KEY (run_id, image, kind)
  );
  CREATE INDEX triage_failures_fingerprint ON triage_failures (fingerprint_id, seen_at);
  CREATE INDEX triage_failures_image ON triage_failures (image, kind, seen_at);
  `,
];
