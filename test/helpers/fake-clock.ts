import type { Clock, ClockTimer } from '../../src/scheduler/clock.js';

/** A clock the test moves; timers fire when the clock passes them. */
export class FakeClock implements Clock {
  private timers: { at: number; callback: () => void }[] = [];

  constructor(private time: number) {}

  now = () => new Date(this.time);

  setTimer(ms: number, callback: () => void): ClockTimer {
    const timer = { at: this.time + ms, callback };
    this.timers.push(timer);
    return { cancel: () => (this.timers = this.timers.filter((entry) => entry !== timer)) };
  }

  advanceTo(date: Date): void {
    this.time = date.getTime();
    for (const timer of this.timers.filter((entry) => entry.at <= this.time)) {
      this.timers = this.timers.filter((entry) => entry !== timer);
      timer.callback();
    }
  }

  advanceBy(ms: number): void {
    this.advanceTo(new Date(this.time + ms));
  }
}
