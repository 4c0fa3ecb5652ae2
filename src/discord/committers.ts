import type Database from 'better-sqlite3';
import type { DiscordSection } from '../config/schema.js';
import type { Logger } from '../logger.js';

/** Commands and subcommands only committers may run. */
export const GATED_COMMANDS = new Set(['rebuild', 'validate', 'cancel', 'file-issue', 'promote', 'oncall set', 'button:rebuild', 'button:file-issue']);

export interface Caller {
  userId: string;
  userName: string;
  roleIds: string[];
}

export interface GateDecision {
  allowed: boolean;
  reason: string;
}

/** Decides whether a caller is a committer: a configured user id, or a member of a configured role. */
export function decideCommitter(caller: Caller, committers: DiscordSection['committers']): GateDecision {
  if (committers.users.includes(caller.userId)) return { allowed: true, reason: 'listed in discord.committers.users' };
  const role = caller.roleIds.find((id) => committers.roles.includes(id));
  if (role) return { allowed: true, reason: `has role ${role} from discord.committers.roles` };
  return { allowed: false, reason: 'not in discord.committers.users and has no role from discord.committers.roles' };
}

/** The sentence a refused caller reads, naming who may run the command. */
export function describeCommitters(command: string, committers: DiscordSection['committers']): string {
  const who = [...committers.roles.map((id) => `members of <@&${id}>`), ...committers.users.map((id) => `<@${id}>`)];
  if (who.length === 0) return `Only committers may run /${command}, and none are configured: an operator sets discord.committers in drydock.yml.`;
  return `Only committers may run /${command}: ${who.join(', ')}.`;
}

/** The audit log of gated commands in the store: every attempt, allowed or refused. */
export class AuditLog {
  constructor(
    private readonly db: Database.Database,
    private readonly logger: Logger,
  ) {}

  record(entry: { at: Date; caller: Caller; command: string; options: Record<string, unknown>; decision: GateDecision }): void {
    this.db
      .prepare('INSERT INTO discord_audit_log (at, user_id, user_name, command, options, allowed, reason) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(entry.at.toISOString(), entry.caller.userId, entry.caller.userName, entry.command, JSON.stringify(entry.options), entry.decision.allowed ? 1 : 0, entry.decision.reason);
    const fields = { userId: entry.caller.userId, user: entry.caller.userName, command: entry.command, options: entry.options, reason: entry.decision.reason };
    if (entry.decision.allowed) this.logger.info(fields, 'gated command allowed');
    else this.logger.warn(fields, 'gated command refused');
  }

  list(limit = 100): { at: string; userId: string; userName: string; command: string; options: Record<string, unknown>; allowed: boolean; reason: string }[] {
    const rows = this.db.prepare('SELECT * FROM discord_audit_log ORDER BY id DESC LIMIT ?').all(limit) as Record<string, unknown>[];
    return rows.map((row) => ({
      at: row.at as string,
      userId: row.user_id as string,
      userName: row.user_name as string,
      command: row.command as string,
      options: JSON.parse(row.options as string) as Record<string, unknown>,
      allowed: row.allowed === 1,
      reason: row.reason as string,
    }));
  }
}
