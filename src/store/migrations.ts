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
  `
  CREATE TABLE outbox_items (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    message_key      TEXT NOT NULL,
    action           TEXT NOT NULL,
    channel_id       TEXT NOT NULL,
    payload          TEXT NOT NULL,
    nonce            TEXT NOT NULL,
    state            TEXT NOT NULL DEFAULT 'pending',
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  INTEGER NOT NULL DEFAULT 0,
    last_error       TEXT,
    created_at       TEXT NOT NULL,
    delivered_at     TEXT
  );
  CREATE INDEX outbox_items_pending ON outbox_items (state, message_key, id);

  CREATE TABLE outbox_messages (
    message_key  TEXT PRIMARY KEY,
    channel_id   TEXT NOT NULL,
    message_id   TEXT NOT NULL,
    created_at   TEXT NOT NULL
  );

  CREATE TABLE discord_audit_log (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    at          TEXT NOT NULL,
    user_id     TEXT NOT NULL,
    user_name   TEXT NOT NULL,
    command     TEXT NOT NULL,
    options     TEXT NOT NULL DEFAULT '{}',
    allowed     INTEGER NOT NULL,
    reason      TEXT NOT NULL
  );
  CREATE INDEX discord_audit_log_at ON discord_audit_log (at);

  CREATE TABLE oncall_overrides (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id    TEXT NOT NULL,
    starts_at  TEXT NOT NULL,
    ends_at    TEXT NOT NULL,
    set_by     TEXT NOT NULL,
    set_at     TEXT NOT NULL
  );

  CREATE TABLE triage_threads (
    image         TEXT NOT NULL,
    failure_key   TEXT NOT NULL,
    message_key   TEXT NOT NULL,
    first_run_id  TEXT NOT NULL,
    last_run_id   TEXT NOT NULL,
    closed        INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (image, failure_key)
  );

  CREATE TABLE schedule_state (
    name             TEXT PRIMARY KEY,
    last_fired_for   TEXT NOT NULL
  );
  `,
  `
  CREATE TABLE promotions (
    id                     INTEGER PRIMARY KEY AUTOINCREMENT,
    at                     TEXT NOT NULL,
    requested_by           TEXT NOT NULL,
    trigger                TEXT NOT NULL,
    image                  TEXT NOT NULL,
    staging_reference      TEXT NOT NULL,
    digest                 TEXT,
    production_references  TEXT NOT NULL DEFAULT '[]',
    rebuild_run_id         TEXT,
    validate_run_id        TEXT,
    outcome                TEXT NOT NULL,
    forced                 INTEGER NOT NULL DEFAULT 0,
    overridden             TEXT NOT NULL DEFAULT '[]',
    method                 TEXT,
    error                  TEXT,
    pull_request_url       TEXT
  );
  CREATE INDEX promotions_image ON promotions (image, at);

  CREATE TABLE audit_log (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    at        TEXT NOT NULL,
    actor     TEXT NOT NULL,
    trigger   TEXT NOT NULL,
    action    TEXT NOT NULL,
    subject   TEXT NOT NULL,
    outcome   TEXT NOT NULL,
    details   TEXT NOT NULL DEFAULT '{}'
  );
  CREATE INDEX audit_log_at ON audit_log (at);
  `,
  // Each image's last successful build before a date takes one index seek. Builds are
  // ordered by their run's start, which lives in runs, so image_results keeps a copy of
  // it that the two triggers keep equal to runs.started_at.
  `
  ALTER TABLE image_results ADD COLUMN run_started_at TEXT;
  UPDATE image_results SET run_started_at = (SELECT started_at FROM runs WHERE runs.id = image_results.run_id);
  CREATE INDEX image_results_last_built ON image_results (image, run_started_at, run_id)
    WHERE status = 'succeeded' AND COALESCE(image_id, digest) IS NOT NULL;

  CREATE TRIGGER image_results_copy_run_start AFTER INSERT ON image_results
  BEGIN
    UPDATE image_results SET run_started_at = (SELECT started_at FROM runs WHERE id = new.run_id) WHERE rowid = new.rowid;
  END;
  CREATE TRIGGER runs_copy_started_at AFTER UPDATE OF started_at ON runs
    WHEN new.started_at IS NOT old.started_at
  BEGIN
    UPDATE image_results SET run_started_at = new.started_at WHERE run_id = new.id;
  END;
  `,
];
