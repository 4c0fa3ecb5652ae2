import type Database from 'better-sqlite3';

type Row = Record<string, unknown>;

/** What became of one promotion request. A dry run is not recorded. */
export type PromotionOutcome = 'promoted' | 'refused' | 'failed';

/** One promotion request: who asked, when, for what, and what happened. */
export interface PromotionRecord {
  id: number;
  at: string;
  /** A Discord user (`discord:<id> (<name>)`) or the local user of the command line. */
  requestedBy: string;
  trigger: 'cli' | 'discord';
  image: string;
  /** The staging reference as requested: `<staging repository>:<tag>`. */
  stagingReference: string;
  /** The manifest digest the staging tag pointed to; null when the tag was not found. */
  digest: string | null;
  /** Every production reference the promotion wrote, or would have written. */
  productionReferences: string[];
  rebuildRunId: string | null;
  validateRunId: string | null;
  outcome: PromotionOutcome;
  /** True when `--force` was given. */
  forced: boolean;
  /** The checks that failed and that `--force` overrode. */
  overridden: string[];
  /** `registry` (registry API copy) or `engine` (pull, tag and push). */
  method: string | null;
  error: string | null;
  pullRequestUrl: string | null;
}

/** An entry of the audit log: who did what to which subject, and the outcome. */
export interface AuditEntry {
  at: string;
  actor: string;
  trigger: string;
  action: string;
  subject: string;
  outcome: string;
  details: Record<string, unknown>;
}

/** The promotions table and the general audit log in the SQLite store. */
export class PromotionStore {
  constructor(private readonly db: Database.Database) {}

  insert(record: Omit<PromotionRecord, 'id'>): number {
    const result = this.db
      .prepare(
        `INSERT INTO promotions (at, requested_by, trigger, image, staging_reference, digest, production_references,
           rebuild_run_id, validate_run_id, outcome, forced, overridden, method, error, pull_request_url)
         VALUES (@at, @requestedBy, @trigger, @image, @stagingReference, @digest, @productionReferences,
           @rebuildRunId, @validateRunId, @outcome, @forced, @overridden, @method, @error, @pullRequestUrl)`,
      )
      .run({
        ...record,
        productionReferences: JSON.stringify(record.productionReferences),
        overridden: JSON.stringify(record.overridden),
        forced: record.forced ? 1 : 0,
      });
    return Number(result.lastInsertRowid);
  }

  setPullRequestUrl(id: number, url: string): void {
    this.db.prepare('UPDATE promotions SET pull_request_url = ? WHERE id = ?').run(url, id);
  }

  /** Promotions, newest first. */
  list(options: { image?: string; limit?: number } = {}): PromotionRecord[] {
    const rows = this.db
      .prepare(`SELECT * FROM promotions ${options.image ? 'WHERE image = @image' : ''} ORDER BY id DESC LIMIT @limit`)
      .all({ image: options.image, limit: options.limit ?? 100 }) as Row[];
    return rows.map(toPromotion);
  }

  addAuditEntry(entry: AuditEntry): void {
    this.db
      .prepare('INSERT INTO audit_log (at, actor, trigger, action, subject, outcome, details) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(entry.at, entry.actor, entry.trigger, entry.action, entry.subject, entry.outcome, JSON.stringify(entry.details));
  }

  /** Audit entries, newest first. */
  listAuditEntries(limit = 100): AuditEntry[] {
    const rows = this.db.prepare('SELECT * FROM audit_log ORDER BY id DESC LIMIT ?').all(limit) as Row[];
    return rows.map((row) => ({
      at: row.at as string,
      actor: row.actor as string,
      trigger: row.trigger as string,
      action: row.action as string,
      subject: row.subject as string,
      outcome: row.outcome as string,
      details: JSON.parse(row.details as string) as Record<string, unknown>,
    }));
  }
}

function toPromotion(row: Row): PromotionRecord {
  return {
    id: row.id as number,
    at: row.at as string,
    requestedBy: row.requested_by as string,
    trigger: row.trigger as PromotionRecord['trigger'],
    image: row.image as string,
    stagingReference: row.staging_reference as string,
    digest: row.digest as string | null,
    productionReferences: JSON.parse(row.production_references as string) as string[],
    rebuildRunId: row.rebuild_run_id as string | null,
    validateRunId: row.validate_run_id as string | null,
    outcome: row.outcome as PromotionOutcome,
    forced: row.forced === 1,
    overridden: JSON.parse(row.overridden as string) as string[],
    method: row.method as string | null,
    error: row.error as string | null,
    pullRequestUrl: row.pull_request_url as string | null,
  };
}
