import type Database from 'better-sqlite3';
import type { InventoryRecord } from '../inventory/types.js';

type Row = Record<string, unknown>;

/** Inventories of image builds, one per rebuild run and image. */
export class InventoryStore {
  constructor(private readonly db: Database.Database) {}

  save(record: InventoryRecord): void {
    this.db
      .prepare(
        `INSERT INTO inventories (rebuild_run_id, image, validate_run_id, image_ref, taken_at, os_release, python, debian)
         VALUES (@rebuildRunId, @image, @validateRunId, @imageRef, @takenAt, @osRelease, @python, @debian)
         ON CONFLICT (rebuild_run_id, image) DO UPDATE SET
           validate_run_id = excluded.validate_run_id, image_ref = excluded.image_ref, taken_at = excluded.taken_at,
           os_release = excluded.os_release, python = excluded.python, debian = excluded.debian`,
      )
      .run({
        ...record,
        osRelease: JSON.stringify(record.osRelease),
        python: JSON.stringify(record.python),
        debian: JSON.stringify(record.debian),
      });
  }

  get(rebuildRunId: string, image: string): InventoryRecord | undefined {
    const row = this.db.prepare('SELECT * FROM inventories WHERE rebuild_run_id = ? AND image = ?').get(rebuildRunId, image) as Row | undefined;
    return row ? toInventory(row) : undefined;
  }

  /** Lists the newest inventory of each image, ordered by image name. */
  listLatest(): InventoryRecord[] {
    const rows = this.db
      .prepare(
        `SELECT i.* FROM inventories i
         JOIN runs r ON r.id = i.rebuild_run_id
         WHERE NOT EXISTS (
           SELECT 1 FROM inventories newer JOIN runs nr ON nr.id = newer.rebuild_run_id
           WHERE newer.image = i.image AND (nr.started_at > r.started_at OR (nr.started_at = r.started_at AND nr.id > r.id))
         )
         ORDER BY i.image`,
      )
      .all() as Row[];
    return rows.map(toInventory);
  }

  /** Inventories of one image from builds older than `rebuildRunId`, newest build first. */
  listOlder(image: string, rebuildRunId: string): InventoryRecord[] {
    const rows = this.db
      .prepare(
        `SELECT i.* FROM inventories i
         JOIN runs r ON r.id = i.rebuild_run_id
         JOIN runs current ON current.id = ?
         WHERE i.image = ? AND (r.started_at < current.started_at OR (r.started_at = current.started_at AND r.id < current.id))
         ORDER BY r.started_at DESC, r.id DESC`,
      )
      .all(rebuildRunId, image) as Row[];
    return rows.map(toInventory);
  }
}

function toInventory(row: Row): InventoryRecord {
  return {
    rebuildRunId: row.rebuild_run_id as string,
    image: row.image as string,
    validateRunId: row.validate_run_id as string,
    imageRef: row.image_ref as string,
    takenAt: row.taken_at as string,
    osRelease: JSON.parse(row.os_release as string) as InventoryRecord['osRelease'],
    python: JSON.parse(row.python as string) as InventoryRecord['python'],
    debian: JSON.parse(row.debian as string) as InventoryRecord['debian'],
  };
}
