import type Docker from 'dockerode';
import type { DrydockEnv } from '../config/env.js';
import type { EngineEntry } from '../config/schema.js';
import { DrydockError } from '../errors.js';
import type { Logger } from '../logger.js';
import { connectEngine, DEFAULT_DOCKER_HOST, pingEngine } from './connect-engine.js';

/** The platform and labels an image needs from an engine. */
export interface EngineRequirements {
  /** `os/arch[/variant]`; unset accepts any engine. */
  platform: string | undefined;
  labels: string[];
}

export type EngineState = 'unknown' | 'up' | 'down';

/** One engine of the pool and its live state. */
export interface PoolEngine {
  name: string;
  host: string;
  docker: Docker;
  slots: number;
  /** Declared platforms, or the engine's own once it has been reached. */
  platforms: string[];
  labels: string[];
  state: EngineState;
  downReason: string | undefined;
  busy: number;
  lastCheckedAt: number;
}

/** A slot on an engine, held for one build or test run. */
export interface EngineLease {
  engine: PoolEngine;
  release(): void;
}

/** No engine of the pool can ever take the work, or every one that could is down. */
export class NoEngineError extends DrydockError {}

/** An engine down for less than this is not checked again, so a dead engine is not pinged per image. */
const RECHECK_INTERVAL_MS = 30_000;

interface Waiter {
  requirements: EngineRequirements;
  prefer: string[];
  exclude: string[];
  job: number;
  priority: number;
  resolve: (lease: EngineLease) => void;
  reject: (error: unknown) => void;
}

/**
 * Hands out engine slots. Work waits while every suitable engine is busy.
 * Jobs are served in the order they started, and within a job by priority,
 * then in arrival order. Work goes to a preferred engine when one of those is
 * free (ahead of equal work that prefers none), and never lands on an engine
 * that lacks its platform or labels.
 */
export class EnginePool {
  readonly engines: PoolEngine[];
  private readonly waiters: Waiter[] = [];
  private jobs = 0;
  private readonly logger: Logger;
  private readonly now: () => number;

  constructor(engines: PoolEngine[], logger: Logger, now: () => number = Date.now) {
    this.engines = engines;
    this.logger = logger;
    this.now = now;
  }

  /**
   * Creates the pool from `engines:`, or one engine at DOCKER_HOST with
   * `defaultSlots` slots when the config lists none.
   */
  static fromConfig(entries: EngineEntry[] | undefined, env: DrydockEnv, logger: Logger, defaultSlots = 1): EnginePool {
    const list = entries ?? [{ name: 'default', host: env.dockerHost ?? DEFAULT_DOCKER_HOST, slots: defaultSlots, labels: [] }];
    const engines = list.map((entry): PoolEngine => {
      const connected = connectEngine({
        ...env,
        dockerHost: entry.host,
        dockerCertPath: 'tlsDir' in entry && entry.tlsDir ? entry.tlsDir : env.dockerCertPath,
        dockerTlsVerify: env.dockerTlsVerify || ('tlsDir' in entry && entry.tlsDir !== undefined),
      });
      return {
        name: entry.name,
        host: connected.host,
        docker: connected.docker,
        slots: entry.slots,
        platforms: ('platforms' in entry && entry.platforms) || [],
        labels: entry.labels,
        state: 'unknown',
        downReason: undefined,
        busy: 0,
        lastCheckedAt: 0,
      };
    });
    return new EnginePool(engines, logger);
  }

  /**
   * Pings every engine and reads the platform of those that declare none.
   * Returns the engines that are up; the rest are marked down with the reason.
   */
  async checkAll(): Promise<PoolEngine[]> {
    await Promise.all(this.engines.map((engine) => this.check(engine)));
    return this.engines.filter((engine) => engine.state === 'up');
  }

  /** Numbers a job, such as one rebuild, whose slot requests are served together and ordered by their priority. */
  newJob(): number {
    return ++this.jobs;
  }

  /**
   * Waits for a slot on an engine that meets `requirements`. Within one `job`
   * (from `newJob`), a waiter with a higher `priority` (default 0) is served
   * first. Without a job, the request is a job of its own.
   */
  async acquire(
    requirements: EngineRequirements,
    options: { prefer?: string[]; exclude?: string[]; signal?: AbortSignal; job?: number; priority?: number } = {},
  ): Promise<EngineLease> {
    // Numbered at the call, not after the health checks below, so arrival order holds.
    const job = options.job ?? this.newJob();
    const exclude = options.exclude ?? [];
    const suitable = this.engines.filter((engine) => !exclude.includes(engine.name) && this.fits(engine, requirements));
    if (suitable.length === 0) throw new NoEngineError(this.describeMissing(requirements, exclude), { fix: 'add an engine with that platform and those labels under engines: in drydock.yml' });

    await Promise.all(suitable.filter((engine) => this.isCheckDue(engine)).map((engine) => this.check(engine)));
    if (suitable.every((engine) => engine.state === 'down')) {
      const reasons = suitable.map((engine) => `${engine.name}: ${engine.downReason}`).join('; ');
      throw new NoEngineError(`every engine that can take this work is down (${reasons})`, {
        fix: 'start the engines, or add another one under engines: in drydock.yml',
      });
    }

    options.signal?.throwIfAborted();
    return new Promise<EngineLease>((resolve, reject) => {
      const waiter: Waiter = { requirements, prefer: options.prefer ?? [], exclude, job, priority: options.priority ?? 0, resolve, reject };
      options.signal?.addEventListener('abort', () => {
        const index = this.waiters.indexOf(waiter);
        if (index === -1) return;
        this.waiters.splice(index, 1);
        reject(options.signal!.reason);
      }, { once: true });
      // Behind every waiter of an earlier job, and of the same job with the same or a higher priority.
      const before = this.waiters.findIndex((queued) => queued.job > waiter.job || (queued.job === waiter.job && queued.priority < waiter.priority));
      this.waiters.splice(before === -1 ? this.waiters.length : before, 0, waiter);
      this.grant();
    });
  }

  /** Pings an engine after an error and marks it down when it no longer responds. Returns whether it is up. */
  async recheck(engine: PoolEngine): Promise<boolean> {
    await this.check(engine);
    if (engine.state === 'up') return true;
    this.markDown(engine, engine.downReason ?? 'no response to a ping');
    return false;
  }

  /** Marks an engine down after a fault; it is checked again before its next use. */
  markDown(engine: PoolEngine, reason: string): void {
    engine.state = 'down';
    engine.downReason = reason;
    engine.lastCheckedAt = this.now();
    this.logger.warn({ engine: engine.name, host: engine.host, reason }, 'engine marked down');
    this.failHopelessWaiters();
  }

  /**
   * Hands free slots to waiters in queue order, one group of equal job and
   * priority at a time. Within a group, waiters first get the free engines
   * they prefer, then any free engine in arrival order, the least busy first.
   */
  private grant(): void {
    const levels = [...new Set(this.waiters.map((waiter) => `${waiter.job}:${waiter.priority}`))];
    for (const level of levels) {
      const group = this.waiters.filter((waiter) => `${waiter.job}:${waiter.priority}` === level);
      for (const preferredOnly of [true, false]) {
        for (const waiter of group) {
          if (!this.waiters.includes(waiter)) continue;
          const free = this.engines.filter(
            (engine) =>
              engine.state !== 'down' &&
              engine.busy < engine.slots &&
              !waiter.exclude.includes(engine.name) &&
              this.fits(engine, waiter.requirements),
          );
          const preferred = free.find((engine) => waiter.prefer.includes(engine.name));
          if (preferredOnly && !preferred) continue;
          const engine = preferred ?? free.sort((a, b) => a.busy / a.slots - b.busy / b.slots)[0];
          if (engine) this.lease(waiter, engine);
        }
      }
    }
  }

  private lease(waiter: Waiter, engine: PoolEngine): void {
    engine.busy++;
    this.waiters.splice(this.waiters.indexOf(waiter), 1);
    let released = false;
    waiter.resolve({
      engine,
      release: () => {
        if (released) return;
        released = true;
        engine.busy--;
        this.grant();
      },
    });
  }

  /** Rejects waiters whose every suitable engine is now down, instead of letting them wait forever. */
  private failHopelessWaiters(): void {
    for (const waiter of [...this.waiters]) {
      const suitable = this.engines.filter((engine) => !waiter.exclude.includes(engine.name) && this.fits(engine, waiter.requirements));
      if (suitable.some((engine) => engine.state !== 'down')) continue;

      this.waiters.splice(this.waiters.indexOf(waiter), 1);
      const reasons = suitable.map((engine) => `${engine.name}: ${engine.downReason}`).join('; ');
      waiter.reject(new NoEngineError(`every engine that can take this work is down (${reasons})`));
    }
  }

  private fits(engine: PoolEngine, requirements: EngineRequirements): boolean {
    const platformFits = requirements.platform === undefined || engine.platforms.length === 0 || engine.platforms.includes(requirements.platform);
    return platformFits && requirements.labels.every((label) => engine.labels.includes(label));
  }

  private isCheckDue(engine: PoolEngine): boolean {
    return engine.state === 'unknown' || (engine.state === 'down' && this.now() - engine.lastCheckedAt >= RECHECK_INTERVAL_MS);
  }

  private async check(engine: PoolEngine): Promise<void> {
    engine.lastCheckedAt = this.now();
    try {
      await pingEngine({ docker: engine.docker, host: engine.host });
      if (engine.platforms.length === 0) {
        const version = await engine.docker.version();
        engine.platforms = [`${version.Os}/${version.Arch}`];
      }
      if (engine.state === 'down') this.logger.info({ engine: engine.name }, 'engine is up again');
      engine.state = 'up';
      engine.downReason = undefined;
      this.grant();
    } catch (error) {
      engine.state = 'down';
      // pingEngine's message already names the engine; keep only the reason under it.
      const cause = (error as Error).cause;
      engine.downReason = cause instanceof Error ? cause.message : (error as Error).message;
    }
  }

  private describeMissing(requirements: EngineRequirements, exclude: string[]): string {
    const needed = [requirements.platform ? `platform ${requirements.platform}` : '', requirements.labels.length > 0 ? `labels ${requirements.labels.join(', ')}` : '']
      .filter(Boolean)
      .join(' and ');
    const excluded = exclude.length > 0 ? ` (besides ${exclude.join(', ')})` : '';
    return `no engine${excluded} declares ${needed || 'what this work needs'}`;
  }
}
