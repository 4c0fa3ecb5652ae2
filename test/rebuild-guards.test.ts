import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { expect, test } from 'vitest';
import { runCli } from './helpers/cli.js';
import { createGitRepo } from './helpers/git-repo.js';
import { BUSYBOX_IMAGE, containersMatching } from './helpers/images.js';

function createWorkspace(config: string | undefined): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'drydock-work-'));
  if (config !== undefined) writeFileSync(path.join(dir, 'drydock.yml'), config);
  return dir;
}

const repo = createGitRepo({
  'docker/Dockerfile.gd_one': `FROM ${BUSYBOX_IMAGE}\nRUN true\n`,
  'docker/Dockerfile.gd_two': `FROM ${BUSYBOX_IMAGE}\nRUN true\n`,
});

test.each([
  {
    case: 'unknown nested key',
    config: `source: { repo: ${repo} }\nbuild: { noCahce: true }\n`,
    expected: ['unknown key build.noCahce', 'known keys here: noCache, pull, network'],
  },
  {
    case: 'unknown top-level key',
    config: `source: { repo: ${repo} }\nregistries: {}\n`,
    expected: ['unknown key registries', 'remove it or correct its spelling'],
  },
  {
    case: 'bad value',
    config: `source: { repo: ${repo} }\nbuild: { timeoutMinutes: "soon" }\n`,
    expected: ['build.timeoutMinutes = "soon" is invalid', 'expected a number'],
  },
  {
    case: 'missing required value',
    config: `source: { repo: ${repo} }\nengines: [{ host: "unix:///var/run/docker.sock" }]\n`,
    expected: ['engines.0.name is missing: set it to a string'],
  },
  {
    case: 'bad registry location',
    config: `source: { repo: ${repo} }\nregistry: { staging: "Bad Registry" }\n`,
    expected: ['registry.staging (or --registry) = "Bad Registry" is invalid', 'host[:port]/namespace'],
  },
])('config with $case exits 2', async ({ config, expected }) => {
  const workspace = createWorkspace(config);

  const result = await runCli(['rebuild'], { cwd: workspace });

  expect(result.code).toBe(2);
  for (const text of expected) expect(result.stderr).toContain(text);
  expect(result.stderr).toContain(`fix: edit ${path.join(workspace, 'drydock.yml')}`);
});

test('unknown image in --images exits 2 listing images', async () => {
  const workspace = createWorkspace(`source: { repo: ${repo} }\nbuild: { pull: false }\n`);

  const result = await runCli(['rebuild', '--images', 'gd_one,gd_nope'], { cwd: workspace });

  expect(result.code).toBe(2);
  expect(result.stderr).toContain('unknown image "gd_nope" in --images');
  expect(result.stderr).toContain('choose from: gd_one, gd_two');
});

test.each(['--upload-pack=touch /tmp/x', 'main..evil', 'has space', 'tab\there', 'ref~1'])('malformed ref %j exits 2', async (ref) => {
  const workspace = createWorkspace(`source: { repo: ${repo} }\n`);

  const result = await runCli(['rebuild', '--ref', ref], { cwd: workspace });

  expect(result.code).toBe(2);
  expect(result.stderr).toContain(`source.ref = ${JSON.stringify(ref)} (from --ref) is invalid: not a valid git ref`);
  expect(result.stderr).toContain('fix: correct --ref');
});

test('missing ref exits 2 and names it', async () => {
  const workspace = createWorkspace(`source: { repo: ${repo}, ref: no-such-branch }\n`);

  const result = await runCli(['rebuild'], { cwd: workspace });

  expect(result.code).toBe(2);
  expect(result.stderr).toContain('source.ref = "no-such-branch" was not found');
});

test('unknown option exits 2', async () => {
  const result = await runCli(['rebuild', '--frobnicate'], { cwd: createWorkspace(undefined) });

  expect(result.code).toBe(2);
  expect(result.stderr).toContain("unknown option '--frobnicate'");
});

test('failed run start is still recorded', async () => {
  const workspace = createWorkspace(`source: { repo: ${repo} }\n`);

  await runCli(['rebuild', '--images', 'nope'], { cwd: workspace });
  const db = new Database(path.join(workspace, '.drydock', 'drydock.db'), { readonly: true });
  const run = db.prepare('SELECT status, error, commit_hash FROM runs').get() as { status: string; error: string; commit_hash: string };
  db.close();

  expect(run.status).toBe('failed');
  expect(run.error).toContain('unknown image "nope"');
  expect(run.commit_hash).toMatch(/^[0-9a-f]{40}$/);
});

test('SIGTERM cancels the build in flight and keeps the log', async () => {
  const slow = createGitRepo({ 'docker/Dockerfile.cx_slow': `FROM ${BUSYBOX_IMAGE}\nRUN echo waiting-for-signal && sleep 120\n` });
  const workspace = createWorkspace(`source: { repo: ${slow} }\nbuild: { pull: false }\n`);
  let pid = 0;

  const running = runCli(['rebuild', '--json'], { cwd: workspace, onSpawn: (spawned) => (pid = spawned) });
  await expect.poll(() => containersMatching('waiting-for-signal').length, { timeout: 30_000 }).toBe(1);
  process.kill(pid, 'SIGTERM');
  const result = await running;
  const summary = JSON.parse(result.stdout) as { run: { status: string }; images: { status: string; log: string }[] };

  expect(result.code).toBe(1);
  expect(summary.run.status).toBe('cancelled');
  expect(summary.images[0]!.status).toBe('cancelled');
  expect(readFileSync(summary.images[0]!.log, 'utf8')).toContain('waiting-for-signal');
  await expect.poll(() => containersMatching('waiting-for-signal'), { timeout: 15_000 }).toEqual([]);
});

test('build printing 200 MB keeps memory bounded', async () => {
  const loud = createGitRepo({
    // 200 MB of output in 100-byte lines.
    'docker/Dockerfile.mb_loud': `FROM ${BUSYBOX_IMAGE}\nRUN yes 'drydock-output-line-padded-to-one-hundred-bytes-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx' | head -c 200000000\n`,
  });
  const workspace = createWorkspace(`source: { repo: ${loud} }\nbuild: { pull: false }\n`);

  const result = await runCli(['rebuild', '--json'], { cwd: workspace });
  const summary = JSON.parse(result.stdout) as { images: { status: string; log: string }[] };
  const logBytes = existsSync(summary.images[0]!.log) ? readFileSync(summary.images[0]!.log).length : 0;
  console.info(`200 MB build: peak RSS ${(result.peakRssBytes / 2 ** 20).toFixed(0)} MiB, log ${(logBytes / 2 ** 20).toFixed(0)} MiB`);

  expect(result.code).toBe(0);
  // Each 100-byte line gains a 25-byte timestamp prefix on disk.
  expect(logBytes).toBeGreaterThan(200_000_000);
  expect(result.peakRssBytes).toBeGreaterThan(0);
  expect(result.peakRssBytes).toBeLessThan(200 * 2 ** 20);
});

test('repository without images exits 2', async () => {
  const empty = createGitRepo({ 'README.md': 'no Dockerfiles here\n' });
  const workspace = createWorkspace(`source: { repo: ${empty} }\n`);

  const result = await runCli(['rebuild'], { cwd: workspace, env: { DRYDOCK_LOG_LEVEL: '' } });

  expect(result.code).toBe(2);
  expect(result.stderr).toContain(`no images found in ${empty} by images.discover = "docker/Dockerfile.*"`);
  expect(result.stderr).toContain('fix: point images.discover at the CI Dockerfiles');
  // The process log stays quiet by default: the readable message is enough.
  expect(result.stderr).not.toContain('"level"');
});

test('unreachable engine is named once', async () => {
  const workspace = createWorkspace(`source: { repo: ${repo} }\n`);

  const result = await runCli(['rebuild'], { cwd: workspace, env: { DOCKER_HOST: 'tcp://127.0.0.1:1', DRYDOCK_LOG_LEVEL: '' } });

  expect(result.code).toBe(1);
  expect(result.stderr.match(/is unreachable/g)).toHaveLength(1);
});
