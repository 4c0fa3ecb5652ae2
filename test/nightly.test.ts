import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { PROJECT_ROOT, runCli } from './helpers/cli.js';
import { commitFiles } from './helpers/git-repo.js';
import { startRegistry, type TestRegistry } from './helpers/registry.js';

interface NightlyJson {
  run: { id: string; kind: string; status: string; rebuildRunId: string; validateRunId: string | null };
  rebuild: { id: string; status: string };
  validate: { id: string; status: string } | null;
  images: {
    name: string;
    build: { status: string; digest: string | null };
    validate: { status: string; image: string; commands: { command: string; status: string; exitCode: number | null }[] } | null;
  }[];
}

const EXAMPLE = path.join(PROJECT_ROOT, 'examples', 'tvm-like');
let registry: TestRegistry;
let repo: string;
let stateDir: string;

function nightly(extra: string[] = []) {
  return runCli(['nightly', '--config', path.join(EXAMPLE, 'drydock.yml'), '--repo', repo, '--registry', `${registry.host}/nightly`, '--state-dir', stateDir, ...extra], {
    cwd: PROJECT_ROOT,
  });
}

beforeAll(async () => {
  execFileSync('bash', [path.join(PROJECT_ROOT, 'scripts', 'seed-busybox.sh'), 'drydock-example/busybox:1'], { stdio: 'pipe' });
  registry = await startRegistry();
  repo = mkdtempSync(path.join(tmpdir(), 'drydock-nightly-repo-'));
  cpSync(path.join(EXAMPLE, 'project'), repo, { recursive: true });
  execFileSync('git', ['init', '-q', '-b', 'main', repo]);
  commitFiles(repo, {}, 'Example project snapshot');
  stateDir = mkdtempSync(path.join(tmpdir(), 'drydock-nightly-state-'));
});

afterAll(async () => {
  await registry?.stop();
});

describe('nightly on the bundled example', () => {
  let summary: NightlyJson;

  test('runs both pipelines and exits 0', async () => {
    const result = await nightly(['--json']);
    expect(result.code, result.stderr).toBe(0);
    summary = JSON.parse(result.stdout) as NightlyJson;

    expect(summary.run.kind).toBe('nightly');
    expect(summary.run.status).toBe('succeeded');
    expect(summary.run.rebuildRunId).toBe(summary.rebuild.id);
    expect(summary.run.validateRunId).toBe(summary.validate!.id);
    expect(summary.images.map((image) => image.name).sort()).toEqual(['ci_cpu', 'ci_lint', 'ci_minimal']);
  });

  test('validates pushed digests with the configured tests', () => {
    for (const image of summary.images) {
      expect(image.build.status).toBe('succeeded');
      expect(image.build.digest).toMatch(/^sha256:/);
      expect(image.validate!.status).toBe('passed');
      expect(image.validate!.image).toBe(`${registry.host}/nightly/${image.name}@${image.build.digest}`);
    }
    const lint = summary.images.find((image) => image.name === 'ci_lint')!;
    expect(lint.validate!.commands).toEqual([{ command: 'sh tests/scripts/task_lint.sh', status: 'passed', exitCode: 0, durationMs: expect.any(Number), error: null, tests: null, classification: null, production: null }]);
  });

  test('store links the nightly to both runs', () => {
    const db = new Database(path.join(stateDir, 'drydock.db'), { readonly: true });
    try {
      const link = db.prepare('SELECT rebuild_run_id, validate_run_id FROM nightly_runs WHERE run_id = ?').get(summary.run.id);
      expect(link).toEqual({ rebuild_run_id: summary.rebuild.id, validate_run_id: summary.validate!.id });
      const kinds = db.prepare('SELECT kind, status FROM runs ORDER BY started_at, kind').all();
      expect(kinds).toEqual([
        { kind: 'nightly', status: 'succeeded' },
        { kind: 'rebuild', status: 'succeeded' },
        { kind: 'validate', status: 'succeeded' },
      ]);
    } finally {
      db.close();
    }
  });

  test('failing lint makes the nightly exit 1', async () => {
    commitFiles(repo, { 'python/widget/long_line.py': `x = "${'y'.repeat(200)}"\n` }, 'Add a line longer than the lint limit');
    const result = await nightly(['--json']);
    expect(result.code).toBe(1);
    const failed = JSON.parse(result.stdout) as NightlyJson;
    expect(failed.run.status).toBe('failed');
    expect(failed.rebuild.status).toBe('succeeded');
    const lint = failed.images.find((image) => image.name === 'ci_lint')!;
    expect(lint.validate!.status).toBe('failed');
    expect(lint.validate!.commands[0]!.exitCode).toBe(1);
  });

  test('images and no-push narrow the nightly', async () => {
    const result = await nightly(['--images', 'ci_minimal', '--no-push', '--json']);
    const summary = JSON.parse(result.stdout) as { images: { name: string; build: { digest: string | null; status: string }; validate: { status: string } | null }[] };

    expect(result.stderr).toContain('--no-push: images are built and tagged');
    expect(summary.images.map((image) => image.name)).toEqual(['ci_minimal']);
    expect(summary.images[0]!.build.status).toBe('succeeded');
    expect(summary.images[0]!.build.digest).toBeNull();
    expect(summary.images[0]!.validate?.status).toBe('passed');
  });

  test('second nightly at once is rejected', async () => {
    const host = execFileSync('hostname', { encoding: 'utf8' }).trim();
    writeFileSync(path.join(stateDir, 'drydock.lock'), JSON.stringify({ pid: process.pid, host, command: 'drydock nightly', startedAt: '2026-01-01T05:00:00Z' }));
    try {
      const result = await nightly();
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(`the state directory ${stateDir} is in use by drydock nightly (pid ${process.pid} on ${host}`);
    } finally {
      execFileSync('rm', ['-f', path.join(stateDir, 'drydock.lock')]);
    }
  });
});
