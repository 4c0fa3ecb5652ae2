import type { Clock, ClockTimer } from '../../src/scheduler/clock.js';

/**
 * A clock that runs at real speed from a virtual start and can jump
 * forward. Timers run on real time while the clock flows, and a jump fires
 * every timer it passes, so a 24-hour schedule fires at once while a
 * one-second edit interval still takes one second. Timers are unref'd, so
 * a forgotten one keeps no process alive.
 */
export class VirtualClock implements Clock {
  private offsetMs: number;
  private readonly timers = new Set<{ at: number; handle: NodeJS.Timeout; callback: () => void }>();

  constructor(start: Date) {
    this.offsetMs = start.getTime() - Date.now();
  }

  now(): Date {
    return new Date(this.nowMs());
  }

  nowMs(): number {
    return Date.now() + this.offsetMs;
  }

  setTimer(ms: number, callback: () => void): ClockTimer {
    const timer = { at: this.nowMs() + ms, handle: undefined as unknown as NodeJS.Timeout, callback };
    timer.handle = setTimeout(() => this.fire(timer), Math.max(0, Math.min(ms, 2 ** 31 - 1)));
    timer.handle.unref();
    this.timers.add(timer);
    return {
      cancel: () => {
        clearTimeout(timer.handle);
        this.timers.delete(timer);
      },
    };
  }

  /** Moves the clock forward to `date` and fires, in time order, every timer due by then. */
  jumpTo(date: Date): void {
    const jump = date.getTime() - this.nowMs();
    if (jump < 0) throw new Error(`the virtual clock cannot go back from ${this.now().toISOString()} to ${date.toISOString()}`);
    this.offsetMs += jump;
    const due = [...this.timers].filter((timer) => timer.at <= this.nowMs()).sort((a, b) => a.at - b.at);
    for (const timer of due) this.fire(timer);
  }

  /** Cancels every timer still waiting. */
  dispose(): void {
    for (const timer of this.timers) clearTimeout(timer.handle);
    this.timers.clear();
  }

  private fire(timer: { at: number; handle: NodeJS.Timeout; callback: () => void }): void {
    if (!this.timers.delete(timer)) return;
    clearTimeout(timer.handle);
    timer.callback();
  }
}
