import cron from 'node-cron';
import { ConfigError } from '../errors.js';

const MINUTE_MS = 60_000;
/** Searches for a matching minute stop after this many days; a five-field expression matches at least once in 8 years (29 February on a given weekday). */
const MAX_SEARCH_DAYS = 366 * 8;

/**
 * A five-field cron expression read in a time zone. node-cron parses it and
 * matches minutes; the scheduler asks for the next and the latest matching
 * minute, so it can run on an injected clock and find a missed run.
 */
export class CronSchedule {
  private readonly task: ReturnType<typeof cron.createTask>;

  constructor(
    readonly expression: string,
    readonly timezone: string,
  ) {
    if (!cron.validate(expression)) {
      throw new ConfigError(`schedule.cron = ${JSON.stringify(expression)} is not a valid cron expression`, { fix: 'use five fields, such as "0 5 * * *" for 05:00 every day' });
    }
    // createTask parses without starting a timer.
    this.task = cron.createTask(expression, () => undefined, { timezone });
  }

  /** The first matching minute strictly after `date`. */
  nextAfter(date: Date): Date {
    let minute = Math.floor(date.getTime() / MINUTE_MS) * MINUTE_MS + MINUTE_MS;
    const limit = minute + MAX_SEARCH_DAYS * 24 * 60 * MINUTE_MS;
    for (; minute < limit; minute += MINUTE_MS) {
      if (this.task.match(new Date(minute))) return new Date(minute);
    }
    throw new ConfigError(`schedule.cron = ${JSON.stringify(this.expression)} never matches`, { fix: 'check the day of month and the month' });
  }

  /** The latest matching minute at or before `date` and after `notBefore`, or undefined. */
  latestBetween(notBefore: Date, date: Date): Date | undefined {
    const floor = notBefore.getTime();
    for (let minute = Math.floor(date.getTime() / MINUTE_MS) * MINUTE_MS; minute > floor; minute -= MINUTE_MS) {
      if (this.task.match(new Date(minute))) return new Date(minute);
    }
    return undefined;
  }
}
