import type Database from 'better-sqlite3';
import type { DiscordSection } from '../config/schema.js';

const DAY_MS = 24 * 60 * 60 * 1000;

export interface OnCallTurn {
  userId: string;
  startsAt: Date;
  endsAt: Date;
  /** `override` when set with /oncall set, `rotation` otherwise. */
  source: 'rotation' | 'override';
}

/**
 * Who is on call: the newest `/oncall set` override that covers the time,
 * else the rotation's turn. Turns last a day or a week and count from
 * `discord.oncall.start`.
 */
export class OnCall {
  constructor(
    private readonly config: DiscordSection['oncall'],
    private readonly db: Database.Database,
  ) {}

  current(now: Date): OnCallTurn | undefined {
    const override = this.db
      .prepare('SELECT * FROM oncall_overrides WHERE starts_at <= ? AND ends_at > ? ORDER BY id DESC LIMIT 1')
      .get(now.toISOString(), now.toISOString()) as Record<string, string> | undefined;
    if (override) return { userId: override.user_id!, startsAt: new Date(override.starts_at!), endsAt: new Date(override.ends_at!), source: 'override' };
    return this.rotationTurn(now);
  }

  /** The rotation's turn at `at`, ignoring overrides. */
  rotationTurn(at: Date): OnCallTurn | undefined {
    const { rotation } = this.config;
    if (rotation.length === 0) return undefined;

    const periodMs = (this.config.period === 'daily' ? 1 : 7) * DAY_MS;
    const start = Date.parse(`${this.config.start}T00:00:00Z`);
    const index = Math.floor((at.getTime() - start) / periodMs);
    const startsAt = new Date(start + index * periodMs);
    const position = ((index % rotation.length) + rotation.length) % rotation.length;
    return { userId: rotation[position]!, startsAt, endsAt: new Date(startsAt.getTime() + periodMs), source: 'rotation' };
  }

  /** The next `count` rotation turns from `now`, the current one first. */
  upcoming(now: Date, count: number): OnCallTurn[] {
    const turns: OnCallTurn[] = [];
    let at = now;
    for (let index = 0; index < count; index++) {
      const turn = this.rotationTurn(at);
      if (!turn) break;
      turns.push(turn);
      at = turn.endsAt;
    }
    return turns;
  }

  /** Puts `userId` on call from `now` for `days`, or to the end of the current rotation turn. */
  setOverride(userId: string, now: Date, setBy: string, days?: number): OnCallTurn {
    const endsAt = days !== undefined ? new Date(now.getTime() + days * DAY_MS) : this.rotationTurn(now)?.endsAt ?? new Date(now.getTime() + 7 * DAY_MS);
    this.db
      .prepare('INSERT INTO oncall_overrides (user_id, starts_at, ends_at, set_by, set_at) VALUES (?, ?, ?, ?, ?)')
      .run(userId, now.toISOString(), endsAt.toISOString(), setBy, now.toISOString());
    return { userId, startsAt: now, endsAt, source: 'override' };
  }
}
