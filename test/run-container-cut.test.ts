import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Docker from 'dockerode';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { LogFile } from '../src/build/log-file.js';
import { createSilentLogger } from '../src/logger.js';
import { runContainer, type ContainerRequest } from '../src/validate/run-container.js';
import { BUSYBOX_IMAGE } from './helpers/images.js';
import { startFaultySocketProxy, type FaultySocketProxy } from './helpers/faulty-socket-proxy.js';

// A cut engine connection, seen from drydock: the proxy drops every open
// connection while the command runs, as a broken SSH tunnel would.

const LABEL = 'drydock.test.run-container-cut';
const docker = new Docker({ socketPath: '/var/run/docker.sock' });
let proxy: FaultySocketProxy;
let dir: string;
let testId: string;

beforeEach(async () => {
  proxy = await startFaultySocketProxy('/var/run/docker.sock', Math.random, 0);
  dir = mkdtempSync(path.join(tmpdir(), 'drydock-cut-'));
  testId = randomUUID();
});

afterEach(async () => {
  await proxy.close();
  rmSync(dir, { recursive: true, force: true });
});

function request(command: string, log: LogFile, timeoutMs = 60_000): ContainerRequest {
  return {
    image: BUSYBOX_IMAGE,
    command,
    network: 'none',
    labels: { [LABEL]: testId },
    timeoutMs,
    signal: new AbortController().signal,
    log,
    logger: createSilentLogger(),
  };
}

async function leftoverContainers(): Promise<Docker.ContainerInfo[]> {
  return docker.listContainers({ all: true, filters: { label: [`${LABEL}=${testId}`] } });
}

test('cut connection keeps the exit code', async () => {
  const log = new LogFile(path.join(dir, 'cut.log'));
  const running = runContainer(new Docker({ socketPath: proxy.path }), request('echo before; sleep 3; echo after; exit 7', log));
  await new Promise((resolve) => setTimeout(resolve, 1_500));
  expect(proxy.cutOpenConnections()).toBeGreaterThan(0);

  const outcome = await running;
  await log.close();
  expect(outcome).toMatchObject({ status: 'failed', exitCode: 7 });
  const text = readFileSync(log.path, 'utf8');
  expect(text).toContain('before');
  expect(await leftoverContainers()).toEqual([]);
}, 30_000);

test('cut connection then timeout kills', async () => {
  const log = new LogFile(path.join(dir, 'timeout.log'));
  const running = runContainer(new Docker({ socketPath: proxy.path }), request('sleep 120', log, 3_000));
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  proxy.cutOpenConnections();

  const outcome = await running;
  await log.close();
  expect(outcome.status).toBe('timeout');
  expect(outcome.durationMs).toBeLessThan(20_000);
  expect(await leftoverContainers()).toEqual([]);
}, 30_000);

test('lost engine ends as engine error', async () => {
  const log = new LogFile(path.join(dir, 'lost.log'));
  const running = runContainer(new Docker({ socketPath: proxy.path }), request('sleep 120', log));
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  // Closing the proxy cuts every connection and refuses new ones, so the engine looks gone to drydock.
  // A proxy that cut each new connection after a moment let some state reads through on a loaded machine.
  await proxy.close();

  const outcome = await running;
  await log.close();
  expect(outcome.status).toBe('error');
  expect(outcome.error).toMatch(/the engine failed to run the command/);
  // The engine itself is fine, so the container that drydock could not remove is still there.
  for (const left of await leftoverContainers()) {
    await docker
      .getContainer(left.Id)
      .remove({ force: true })
      .catch((error: { statusCode?: number }) => {
        if (error.statusCode !== 404 && error.statusCode !== 409) throw error;
      });
  }
}, 60_000);
