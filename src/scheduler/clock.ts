/** A timer the clock started; `cancel` stops it. */
export interface ClockTimer {
  cancel(): void;
}

/**
 * Time as the scheduler sees it. The bot uses the system clock; tests pass
 * a fake clock and move it, so no test waits for a real schedule.
 */
export interface Clock {
  now(): Date;
  /** Calls `callback` once `ms` milliseconds have passed on this clock. */
  setTimer(ms: number, callback: () => void): ClockTimer;
}

/** Node's setTimeout takes at most 2^31-1 ms; longer waits are chained. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export const systemClock: Clock = {
  now: () => new Date(),
  setTimer(ms, callback) {
    let handle: NodeJS.Timeout;
    const arm = (remaining: number) => {
      handle = setTimeout(() => (remaining > MAX_TIMER_MS ? arm(remaining - MAX_TIMER_MS) : callback()), Math.min(remaining, MAX_TIMER_MS));
    };
    arm(Math.max(ms, 0));
    return { cancel: () => clearTimeout(handle) };
  },
};
