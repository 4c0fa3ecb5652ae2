import type Database from 'better-sqlite3';
import type { Logger } from '../logger.js';
import type { Clock, ClockTimer } from './clock.js';
import type { CronSchedule } from './cron-schedule.js';
import type { Job } from './job.js';
import type { RunQueue } from './run-queue.js';

const SCHEDULE_NAME = 'nightly';
/** A missed nightly is looked for this far back at most. */
const MISSED_LOOKBACK_MS = 8 * 24 * 60 * 60 * 1000;

/**
 * Fires the nightly job at each minute the cron schedule matches, on an
 * injectable clock, and records each firing in the store. On start it
 * compares the last firing on record with the schedule: a nightly that was
 * due while the bot was down is reported, not run late, so a restart at
 * noon does not start hours of builds unannounced.
 */
export class NightlyScheduler {
  private timer: ClockTimer | undefined;
  private nextAt: Date | undefined;

  constructor(
    private readonly options: {
      schedule: CronSchedule;
      clock: Clock;
      queue: RunQueue;
      db: Database.Database;
      logger: Logger;
      /** Told about a missed nightly and about a nightly queued behind another run. */
      notify: (text: string) => void;
    },
  ) {}

  /** The next firing, once started. */
  get nextRun(): Date | undefined {
    return this.nextAt;
  }

  start(): void {
    const now = this.options.clock.now();
    this.reportMissed(now);
    this.arm(now);
  }

  stop(): void {
    this.timer?.cancel();
    this.timer = undefined;
    this.nextAt = undefined;
  }

  private reportMissed(now: Date): void {
    const { schedule, logger } = this.options;
    const lastFired = this.readLastFired();
    if (lastFired === undefined) {
      // First start: nothing was promised yet, so nothing was missed.
      this.writeLastFired(now);
      return;
    }
    const earliest = new Date(Math.max(lastFired.getTime(), now.getTime() - MISSED_LOOKBACK_MS));
    const missed = schedule.latestBetween(earliest, now);
    if (missed === undefined) return;

    const text = `The nightly due at ${formatUtc(missed)} (${schedule.expression}, ${schedule.timezone}) did not run, because drydock was not running then. Run /rebuild to build now; the next nightly is at ${formatUtc(schedule.nextAfter(now))}.`;
    logger.warn({ missedAt: missed.toISOString(), lastFiredAt: lastFired.toISOString() }, 'nightly missed while drydock was down');
    this.options.notify(text);
    this.writeLastFired(now);
  }

  private arm(from: Date): void {
    const next = this.options.schedule.nextAfter(from);
    this.nextAt = next;
    this.timer = this.options.clock.setTimer(next.getTime() - this.options.clock.now().getTime(), () => this.fire(next));
  }

  private fire(scheduledAt: Date): void {
    this.writeLastFired(scheduledAt);
    const job: Job = {
      id: `nightly-${scheduledAt.toISOString().slice(0, 16)}`,
      kind: 'nightly',
      images: undefined,
      trigger: 'schedule',
      requestedBy: null,
      requestedAt: scheduledAt,
      controller: new AbortController(),
    };
    this.options.logger.info({ jobId: job.id, scheduledAt: scheduledAt.toISOString() }, 'nightly due');
    const blockers = this.options.queue.submit(job);
    if (blockers.length > 0) {
      this.options.notify(`The nightly due at ${formatUtc(scheduledAt)} waits for ${blockers.map((blocker) => blocker.runId ?? blocker.id).join(', ')}, which build the same images.`);
    }
    this.arm(scheduledAt);
  }

  private readLastFired(): Date | undefined {
    const row = this.options.db.prepare('SELECT last_fired_for FROM schedule_state WHERE name = ?').get(SCHEDULE_NAME) as { last_fired_for: string } | undefined;
    return row ? new Date(row.last_fired_for) : undefined;
  }

  private writeLastFired(at: Date): void {
    this.options.db
      .prepare('INSERT INTO schedule_state (name, last_fired_for) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET last_fired_for = excluded.last_fired_for')
      .run(SCHEDULE_NAME, at.toISOString());
  }
}

export function formatUtc(date: Date): string {
  return `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}
