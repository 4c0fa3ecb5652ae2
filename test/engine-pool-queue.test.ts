import type Docker from 'dockerode';
import { expect, test } from 'vitest';
import { EnginePool, NoEngineError, type PoolEngine } from '../src/engine/engine-pool.js';
import { createSilentLogger } from '../src/logger.js';

/** An engine already known to be up, so the pool never contacts it. */
function upEngine(name: string, platforms: string[], labels: string[] = [], slots = 1): PoolEngine {
  return {
    name,
    host: `unix:///nonexistent/${name}.sock`,
    docker: {} as Docker,
    slots,
    platforms,
    labels,
    state: 'up',
    downReason: undefined,
    busy: 0,
    lastCheckedAt: Date.now(),
  };
}

test('arm64 work waits for the busy arm64 engine', async () => {
  const pool = new EnginePool([upEngine('amd', ['linux/amd64']), upEngine('arm', ['linux/arm64'])], createSilentLogger());
  const first = await pool.acquire({ platform: 'linux/arm64', labels: [] });

  let granted: string | undefined;
  const waiting = pool.acquire({ platform: 'linux/arm64', labels: [] }).then((lease) => {
    granted = lease.engine.name;
    return lease;
  });
  await new Promise((resolve) => setImmediate(resolve));
  expect(granted).toBeUndefined();

  first.release();
  const second = await waiting;
  expect(second.engine.name).toBe('arm');
});

test('preferred engine wins when free', async () => {
  const pool = new EnginePool([upEngine('a', ['linux/amd64']), upEngine('b', ['linux/amd64'])], createSilentLogger());

  const lease = await pool.acquire({ platform: undefined, labels: [] }, { prefer: ['b'] });

  expect(lease.engine.name).toBe('b');
});

test('slots bound the leases per engine', async () => {
  const pool = new EnginePool([upEngine('a', ['linux/amd64'], [], 2)], createSilentLogger());

  await pool.acquire({ platform: undefined, labels: [] });
  await pool.acquire({ platform: undefined, labels: [] });
  let third = false;
  void pool.acquire({ platform: undefined, labels: [] }).then(() => (third = true));
  await new Promise((resolve) => setImmediate(resolve));

  expect(pool.engines[0]!.busy).toBe(2);
  expect(third).toBe(false);
});

test('missing platform is rejected at once', async () => {
  const pool = new EnginePool([upEngine('a', ['linux/amd64'])], createSilentLogger());

  await expect(pool.acquire({ platform: 'linux/riscv64', labels: [] })).rejects.toThrow(NoEngineError);
  await expect(pool.acquire({ platform: 'linux/riscv64', labels: ['gpu'] })).rejects.toThrow('no engine declares platform linux/riscv64 and labels gpu');
});

test('waiter fails when its last engine goes down', async () => {
  const pool = new EnginePool([upEngine('a', ['linux/amd64']), upEngine('gpu', ['linux/amd64'], ['gpu'])], createSilentLogger());
  const held = await pool.acquire({ platform: undefined, labels: ['gpu'] });
  const waiting = pool.acquire({ platform: undefined, labels: ['gpu'] });

  pool.markDown(held.engine, 'connection refused');

  await expect(waiting).rejects.toThrow('every engine that can take this work is down (gpu: connection refused)');
});

test('cancelled waiter leaves the queue', async () => {
  const pool = new EnginePool([upEngine('a', ['linux/amd64'])], createSilentLogger());
  const held = await pool.acquire({ platform: undefined, labels: [] });
  const controller = new AbortController();
  const waiting = pool.acquire({ platform: undefined, labels: [] }, { signal: controller.signal });

  controller.abort(new Error('cancelled'));
  await expect(waiting).rejects.toThrow('cancelled');
  held.release();

  expect(pool.engines[0]!.busy).toBe(0);
});

test('higher priority in a job is served first', async () => {
  const pool = new EnginePool([upEngine('a', ['linux/amd64'])], createSilentLogger());
  const busy = await pool.acquire({ platform: undefined, labels: [] });
  const job = pool.newJob();

  const served: string[] = [];
  const wait = (name: string, priority: number) =>
    pool.acquire({ platform: undefined, labels: [] }, { job, priority }).then((lease) => {
      served.push(name);
      lease.release();
    });
  const all = Promise.all([wait('low', 1), wait('high', 5), wait('low-later', 1), wait('default', 0)]);
  await new Promise((resolve) => setImmediate(resolve));
  busy.release();
  await all;

  expect(served).toEqual(['high', 'low', 'low-later', 'default']);
});

test('freed slot goes to equal work preferring it', async () => {
  const pool = new EnginePool([upEngine('a', ['linux/amd64']), upEngine('b', ['linux/amd64'])], createSilentLogger());
  const onA = await pool.acquire({ platform: undefined, labels: [] }, { prefer: ['a'] });
  await pool.acquire({ platform: undefined, labels: [] }, { prefer: ['b'] });

  const served: string[] = [];
  const job = pool.newJob();
  const earlier = pool.acquire({ platform: undefined, labels: [] }, { job }).then((lease) => served.push(`earlier on ${lease.engine.name}`));
  const child = pool.acquire({ platform: undefined, labels: [] }, { job, prefer: ['a'] }).then((lease) => served.push(`child on ${lease.engine.name}`));
  await new Promise((resolve) => setImmediate(resolve));
  onA.release();
  await child;

  expect(served).toEqual(['child on a']);
  void earlier;
});

test('earlier job is served before later priority', async () => {
  const pool = new EnginePool([upEngine('a', ['linux/amd64'])], createSilentLogger());
  const busy = await pool.acquire({ platform: undefined, labels: [] });
  const rebuild = pool.newJob();

  const served: string[] = [];
  const wait = (name: string, options: { job?: number; priority?: number }) =>
    pool.acquire({ platform: undefined, labels: [] }, options).then((lease) => {
      served.push(name);
      lease.release();
    });
  const first = wait('rebuild image', { job: rebuild, priority: 5 });
  const second = wait('validation', {});
  const third = wait('later rebuild', { job: pool.newJob(), priority: 99 });
  const fourth = wait('rebuild child', { job: rebuild, priority: 1 });
  await new Promise((resolve) => setImmediate(resolve));
  busy.release();
  await Promise.all([first, second, third, fourth]);

  expect(served).toEqual(['rebuild image', 'rebuild child', 'validation', 'later rebuild']);
});
