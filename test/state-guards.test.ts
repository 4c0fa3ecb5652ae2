import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { expect, test } from 'vitest';
import { loadSettings } from '../src/config/load-config.js';
import { readEnv } from '../src/config/env.js';
import { EnginePool } from '../src/engine/engine-pool.js';
import { createSilentLogger } from '../src/logger.js';
import { applyRetention } from '../src/state/retention.js';
import { acquireStateLock } from '../src/state/state-lock.js';
import { Store } from '../src/store/store.js';
import { runCli } from './helpers/cli.js';
import { createGitRepo } from './helpers/git-repo.js';
import { BUSYBOX_IMAGE, containersMatching, removeImages } from './helpers/images.js';

function createWorkspace(config: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'drydock-work-'));
  writeFileSync(path.join(dir, 'drydock.yml'), config);
  return dir;
}

function readRuns(stateDir: string): { id: string; status: string; error: string | null }[] {
  const store = Store.open(path.join(stateDir, 'drydock.db'));
  try {
    return store.listRuns().map((run) => ({ id: run.id, status: run.status, error: run.error }));
  } finally {
    store.close();
  }
}

test('second pipeline on one state directory is refused', async () => {
  const repo = createGitRepo({ 'docker/Dockerfile.lk_slow': `FROM ${BUSYBOX_IMAGE}\nRUN echo lk-marker && sleep 5\n` });
  const workspace = createWorkspace(`source: { repo: ${repo} }\nbuild: { pull: false }\n`);

  const first = runCli(['rebuild'], { cwd: workspace });
  await expect.poll(() => containersMatching('lk-marker').length, { timeout: 30_000 }).toBe(1);
  const second = await runCli(['rebuild'], { cwd: workspace });
  const firstResult = await first;

  expect(second.code).toBe(1);
  expect(second.stderr).toMatch(/the state directory .* is in use by drydock rebuild \(pid \d+ on /);
  expect(firstResult.code).toBe(0);
  expect(existsSync(path.join(workspace, '.drydock', 'drydock.lock'))).toBe(false);
});

test('stale lock of a dead process is taken over', async () => {
  const repo = createGitRepo({ 'docker/Dockerfile.lk_stale': `FROM ${BUSYBOX_IMAGE}\nRUN true\n` });
  const workspace = createWorkspace(`source: { repo: ${repo} }\nbuild: { pull: false }\n`);
  mkdirSync(path.join(workspace, '.drydock'));
  const deadPid = Number(execFileSync('sh', ['-c', 'sh -c "echo \\$\\$" & wait'], { encoding: 'utf8' }).trim());
  const host = execFileSync('hostname', { encoding: 'utf8' }).trim();
  writeFileSync(path.join(workspace, '.drydock', 'drydock.lock'), JSON.stringify({ pid: deadPid, host, command: 'drydock rebuild', startedAt: '2026-01-01T00:00:00Z' }));

  const result = await runCli(['rebuild'], { cwd: workspace, env: { DRYDOCK_LOG_LEVEL: 'warn' } });

  expect(result.code).toBe(0);
  expect(result.stderr).toContain('stale state lock taken over');
});

test('lock from another host is never taken over', () => {
  const stateDir = mkdtempSync(path.join(tmpdir(), 'drydock-state-'));
  writeFileSync(path.join(stateDir, 'drydock.lock'), JSON.stringify({ pid: 1, host: 'elsewhere.invalid', command: 'drydock bot', startedAt: '2026-01-01T00:00:00Z' }));

  expect(() => acquireStateLock(stateDir, 'drydock rebuild')).toThrow('is in use by drydock bot (pid 1 on elsewhere.invalid');
});

test('killed run is marked interrupted and cleaned up', async () => {
  const repo = createGitRepo({
    'docker/Dockerfile.cr_fast': `FROM ${BUSYBOX_IMAGE}\nRUN true\n`,
    'docker/Dockerfile.cr_slow': `FROM ${BUSYBOX_IMAGE}\nRUN echo cr-marker && sleep 30\n`,
  });
  const workspace = createWorkspace(`source: { repo: ${repo} }\nbuild: { pull: false }\n`);
  let pid = 0;

  const killed = runCli(['rebuild'], { cwd: workspace, onSpawn: (spawned) => (pid = spawned) });
  await expect.poll(() => containersMatching('cr-marker').length, { timeout: 30_000 }).toBe(1);
  process.kill(pid, 'SIGKILL');
  await killed;
  const [interruptedRun] = readRuns(path.join(workspace, '.drydock'));
  // A container and a partial image of the killed run, as a crash in a later stage leaves them.
  execFileSync('docker', ['create', '--label', `drydock.run-id=${interruptedRun!.id}`, '--name', `cr-leftover-${interruptedRun!.id}`, BUSYBOX_IMAGE, 'true']);
  execFileSync('sh', ['-c', `printf 'FROM ${BUSYBOX_IMAGE}\\nLABEL drydock.run-id=${interruptedRun!.id} drydock.image=cr_slow\\n' | DOCKER_BUILDKIT=0 docker build -q -t cr-partial:1 -`]);

  const next = await runCli(['rebuild', '--images', 'cr_fast'], { cwd: workspace });
  const runs = readRuns(path.join(workspace, '.drydock'));
  const recovered = runs.find((run) => run.id === interruptedRun!.id)!;
  const store = Store.open(path.join(workspace, '.drydock', 'drydock.db'));
  const slow = store.listImageResults(recovered.id).find((result) => result.image === 'cr_slow')!;
  store.close();

  expect(next.code).toBe(0);
  expect(next.stderr).toContain(`Run ${recovered.id} (rebuild) was interrupted by a crash or SIGKILL`);
  expect(recovered.status).toBe('interrupted');
  expect(recovered.error).toMatch(/^interrupted: drydock stopped .*; \d of 2 images had finished$/);
  expect(slow.status).toBe('cancelled');
  expect(slow.cause).toBe('interrupted');
  expect(readFileSync(slow.logPath!, 'utf8')).toContain('cr-marker');
  expect(containersMatching(`cr-leftover-${recovered.id}`)).toEqual([]);
  expect(() => execFileSync('docker', ['image', 'inspect', 'cr-partial:1'], { stdio: 'ignore' })).toThrow();
});

test('too little disk space stops the run', async () => {
  const repo = createGitRepo({ 'docker/Dockerfile.dk_one': `FROM ${BUSYBOX_IMAGE}\nRUN true\n` });
  const workspace = createWorkspace(`source: { repo: ${repo} }\nbuild: { pull: false }\ndisk: { minFreeGb: 1000000 }\n`);

  const result = await runCli(['rebuild'], { cwd: workspace });

  expect(result.code).toBe(1);
  expect(result.stderr).toMatch(/the state directory \(.*\) has [\d.]+ GB free, less than disk.minFreeGb = 1000000/);
  expect(result.stderr).toContain('lower disk.minFreeGb in drydock.yml');
  expect(readRuns(path.join(workspace, '.drydock'))).toEqual([]);
});

test('retention compresses, deletes and prunes', async () => {
  const stateDir = mkdtempSync(path.join(tmpdir(), 'drydock-state-'));
  const configFile = path.join(stateDir, 'drydock.yml');
  writeFileSync(configFile, 'retention: { compressLogsAfterDays: 2, deleteLogsAfterDays: 10, maxLogMegabytes: 1, pruneImagesAfterDays: 0 }\n');
  const settings = loadSettings({ config: configFile, stateDir }, readEnv({}));
  const store = Store.open(path.join(stateDir, 'drydock.db'));
  const now = new Date(Date.now() + 60_000);
  const seedRun = (id: string, daysAgo: number, logBytes: number) => {
    const at = new Date(now.getTime() - daysAgo * 86_400_000).toISOString();
    store.insertRun({ id, kind: 'rebuild', trigger: 'cli', triggeredBy: null, status: 'succeeded', repo: null, commitHash: null, shortCommit: null, commitSubject: null, commitAuthor: null, committedAt: null, startedAt: at, finishedAt: at, error: null });
    const logPath = path.join(stateDir, 'logs', id, 'img.build.log');
    mkdirSync(path.dirname(logPath), { recursive: true });
    writeFileSync(logPath, `${'x'.repeat(logBytes - 6)}\nlast\n`);
    store.saveImageResult({ runId: id, image: 'img', status: 'succeeded', engine: null, notes: [], tags: [], digest: null, imageId: null, sizeBytes: null, durationMs: 1, logPath, failedStep: null, error: null, cause: null, baseImages: {}, startedAt: at, finishedAt: at });
  };
  seedRun('r-new', 0, 300_000);
  seedRun('r-week', 5, 300_000);
  seedRun('r-month', 30, 1000);
  seedRun('r-budget', 8, 900_000);
  execFileSync('sh', ['-c', `printf 'FROM ${BUSYBOX_IMAGE}\\nLABEL drydock.run-id=old drydock.image=rt\\n' | DOCKER_BUILDKIT=0 docker build -q -t rt-old:2026-01-01 -`]);
  execFileSync('sh', ['-c', `printf 'FROM ${BUSYBOX_IMAGE}\\nLABEL drydock.run-id=old drydock.image=rt2 rt=latest\\n' | DOCKER_BUILDKIT=0 docker build -q -t rt-kept:latest -`]);
  execFileSync('sh', ['-c', `printf 'FROM ${BUSYBOX_IMAGE}\\nLABEL someone=else\\n' | DOCKER_BUILDKIT=0 docker build -q -t rt-foreign:1 -`]);
  const pool = EnginePool.fromConfig(undefined, readEnv(), createSilentLogger());
  await pool.checkAll();

  const report = await applyRetention(settings, store, pool, createSilentLogger(), now);
  const results = Object.fromEntries(['r-new', 'r-week', 'r-month', 'r-budget'].map((id) => [id, store.listImageResults(id)[0]!.logPath]));
  store.close();

  expect(report.deletedRunLogs.sort()).toEqual(['r-budget', 'r-month']);
  expect(results['r-month']).toBeNull();
  expect(results['r-budget']).toBeNull();
  expect(readdirSync(path.join(stateDir, 'logs')).sort()).toEqual(['r-new', 'r-week']);
  expect(results['r-new']).toMatch(/img\.build\.log$/);
  expect(results['r-week']).toMatch(/img\.build\.log\.gz$/);
  expect(gunzipSync(readFileSync(results['r-week']!)).toString()).toMatch(/\nlast\n$/);
  expect(() => execFileSync('docker', ['image', 'inspect', 'rt-old:2026-01-01'], { stdio: 'ignore' })).toThrow();
  expect(execFileSync('docker', ['image', 'inspect', '-f', '{{.Id}}', 'rt-kept:latest'], { encoding: 'utf8' })).toMatch(/^sha256:/);
  expect(execFileSync('docker', ['image', 'inspect', '-f', '{{.Id}}', 'rt-foreign:1'], { encoding: 'utf8' })).toMatch(/^sha256:/);
  removeImages(['rt-kept:latest', 'rt-foreign:1']);
});

test('image prune runs at most hourly', async () => {
  const stateDir = mkdtempSync(path.join(tmpdir(), 'drydock-state-'));
  const configFile = path.join(stateDir, 'drydock.yml');
  writeFileSync(configFile, 'retention: { pruneImagesAfterDays: 0 }\n');
  const settings = loadSettings({ config: configFile, stateDir }, readEnv({}));
  const store = Store.open(path.join(stateDir, 'drydock.db'));
  const pool = EnginePool.fromConfig(undefined, readEnv(), createSilentLogger());
  await pool.checkAll();
  const buildOld = () => execFileSync('sh', ['-c', `printf 'FROM ${BUSYBOX_IMAGE}\\nLABEL drydock.run-id=hourly drydock.image=rh\\n' | DOCKER_BUILDKIT=0 docker build -q -t rh-old:1 -`]);
  const exists = () => {
    try {
      execFileSync('docker', ['image', 'inspect', 'rh-old:1'], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  };
  const first = new Date(Date.now() + 60_000);

  const firstReport = await applyRetention(settings, store, pool, createSilentLogger(), first);
  buildOld();
  const soonReport = await applyRetention(settings, store, pool, createSilentLogger(), new Date(first.getTime() + 30 * 60_000));
  const keptSoon = exists();
  const laterReport = await applyRetention(settings, store, pool, createSilentLogger(), new Date(first.getTime() + 61 * 60_000));
  store.close();

  expect(firstReport.prunedImages).toBe(true);
  expect(soonReport.prunedImages).toBe(false);
  expect(keptSoon).toBe(true);
  expect(laterReport.prunedImages).toBe(true);
  expect(exists()).toBe(false);
});
