import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { runCli } from './helpers/cli.js';
import { createGitRepo } from './helpers/git-repo.js';
import { BUSYBOX_IMAGE, removeImages } from './helpers/images.js';
import { startRegistry, type TestRegistry } from './helpers/registry.js';

interface JsonCommand {
  command: string;
  status: string;
  exitCode: number | null;
  error: string | null;
  tests: { passed: number; failed: number; skipped: number; reports: string[]; failures: { name: string; classname: string | null; kind: string; message: string | null }[] } | null;
  classification: string | null;
  production: { reference: string | null; status: string | null; exitCode: number | null; note: string | null } | null;
}
interface JsonImage {
  name: string;
  status: string;
  image: string | null;
  log: string | null;
  error: string | null;
  commands: JsonCommand[];
}
interface ValidateJson {
  run: { id: string; kind: string; status: string; commit: string; rebuildRunId: string };
  images: JsonImage[];
}

const JUNIT_REPORT = `<?xml version="1.0" encoding="UTF-8"?>
<testsuites>
  <testsuite name="widget" tests="5">
    <testcase classname="widget.test_core" name="test_add"/>
    <testcase classname="widget.test_core" name="test_divide"><failure message="ZeroDivisionError: division by zero">Traceback...</failure></testcase>
    <testcase classname="widget.test_core" name="test_parse"><failure message="assert 'a' == 'b'"/></testcase>
    <testcase classname="widget.test_core" name="test_gpu"><skipped message="no GPU"/></testcase>
    <testcase classname="widget.test_core" name="test_sub"/>
  </testsuite>
</testsuites>
`;

let registry: TestRegistry;
let repo: string;
let workspace: string;
let rebuildRunId: string;
let runTag: string;
const productionImages: string[] = [];

function writeConfig(dir: string, extra = ''): void {
  writeFileSync(
    path.join(dir, 'drydock.yml'),
    `source: { repo: ${repo} }
build: { pull: false }
registry: { staging: ${registry.host}/staging }
state: { dir: ./state }
validate:
  network: none
  timeoutMinutes: 0.05
  junit: "reports/*.xml"
  env: { WIDGET_MODE: strict }
  tests:
    val_pass: ["test \\"$WIDGET_MODE\\" = strict && test -f tests/run.sh && echo tests ok"]
    val_junit: ["sh tests/run.sh", "sleep 60"]
    val_regress: ["test -f /opt/widget-tool", "sh tests/always-fails.sh"]
${extra}`,
  );
}

function validateJson(stdout: string): ValidateJson {
  return JSON.parse(stdout) as ValidateJson;
}

function imageNamed(summary: ValidateJson, name: string): JsonImage {
  const image = summary.images.find((entry) => entry.name === name);
  if (!image) throw new Error(`no image ${name} in ${JSON.stringify(summary.images.map((entry) => entry.name))}`);
  return image;
}

function containersOfRun(runId: string): string[] {
  return execFileSync('docker', ['ps', '-a', '-q', '--filter', `label=drydock.run-id=${runId}`], { encoding: 'utf8' }).split('\n').filter(Boolean);
}

beforeAll(async () => {
  registry = await startRegistry();
  repo = createGitRepo({
    'docker/Dockerfile.val_pass': `FROM ${BUSYBOX_IMAGE}\nRUN echo pass > /marker\n`,
    'docker/Dockerfile.val_junit': `FROM ${BUSYBOX_IMAGE}\nRUN echo junit > /marker\n`,
    'docker/Dockerfile.val_regress': `FROM ${BUSYBOX_IMAGE}\nRUN echo the new image lost /opt/widget-tool > /marker\n`,
    'tests/run.sh': `mkdir -p reports\ncat > reports/unit.xml <<'EOF'\n${JUNIT_REPORT}EOF\necho 2 tests failed\nexit 1\n`,
    'tests/always-fails.sh': 'echo broken by the sources >&2\nexit 4\n',
  });

  // The production image has the tool that the new staging image lacks.
  const productionDir = mkdtempSync(path.join(tmpdir(), 'drydock-production-'));
  writeFileSync(path.join(productionDir, 'Dockerfile'), `FROM ${BUSYBOX_IMAGE}\nRUN mkdir -p /opt && echo tool > /opt/widget-tool\n`);
  const productionRef = `${registry.host}/production/val_regress:latest`;
  execFileSync('docker', ['build', '-q', '-t', productionRef, productionDir], { stdio: 'pipe' });
  execFileSync('docker', ['push', productionRef], { stdio: 'pipe' });
  removeImages([productionRef]);
  productionImages.push(productionRef);

  workspace = mkdtempSync(path.join(tmpdir(), 'drydock-validate-'));
  writeConfig(workspace, `production: { registry: ${registry.host}/production }\n`);
  const rebuild = await runCli(['rebuild', '--json'], { cwd: workspace });
  expect(rebuild.code, rebuild.stderr).toBe(0);
  const summary = JSON.parse(rebuild.stdout) as { run: { id: string }; images: { tags: string[] }[] };
  rebuildRunId = summary.run.id;
  runTag = summary.images[0]!.tags[1]!.split(':').at(-1)!;
});

afterAll(async () => {
  removeImages(productionImages);
  await registry?.stop();
});

describe('validate of a rebuild run', () => {
  let result: Awaited<ReturnType<typeof runCli>>;
  let summary: ValidateJson;

  beforeAll(async () => {
    result = await runCli(['validate', '--json'], { cwd: workspace });
    summary = validateJson(result.stdout);
  });

  test('exits 1 and records a failed run', () => {
    expect(result.code, result.stderr).toBe(1);
    expect(summary.run.kind).toBe('validate');
    expect(summary.run.status).toBe('failed');
    expect(summary.run.rebuildRunId).toBe(rebuildRunId);
  });

  test('passing image runs against its pushed digest', () => {
    const image = imageNamed(summary, 'val_pass');
    expect(image.status).toBe('passed');
    expect(image.image).toMatch(new RegExp(`^${registry.host}/staging/val_pass@sha256:[0-9a-f]{64}$`));
    expect(image.commands).toHaveLength(1);
    expect(image.commands[0]!.exitCode).toBe(0);
    expect(image.commands[0]!.classification).toBeNull();
    expect(readFileSync(image.log!, 'utf8')).toContain('tests ok');
  });

  test('JUnit report lists two failing cases', () => {
    const command = imageNamed(summary, 'val_junit').commands[0]!;
    expect(command.status).toBe('failed');
    expect(command.exitCode).toBe(1);
    expect(command.tests).not.toBeNull();
    expect(command.tests!.passed).toBe(2);
    expect(command.tests!.failed).toBe(2);
    expect(command.tests!.skipped).toBe(1);
    expect(command.tests!.reports).toEqual(['reports/unit.xml']);
    expect(command.tests!.failures.map((failure) => failure.name)).toEqual(['test_divide', 'test_parse']);
    expect(command.tests!.failures[0]!.message).toBe('ZeroDivisionError: division by zero');
  });

  test('command over the limit times out', () => {
    const command = imageNamed(summary, 'val_junit').commands[1]!;
    expect(command.status).toBe('timeout');
    expect(command.error).toBe('timed out after 3 s');
    expect(command.tests).toBeNull();
  });

  test('without a production image failures are unknown', () => {
    const commands = imageNamed(summary, 'val_junit').commands;
    expect(commands.map((command) => command.classification)).toEqual(['unknown', 'unknown']);
    expect(commands[0]!.production!.note).toMatch(/production image .*val_junit:latest is not available/);
  });

  test('production image turns a failure into an image regression', () => {
    const image = imageNamed(summary, 'val_regress');
    expect(image.status).toBe('failed');
    const [missingTool, sourceBug] = image.commands;
    expect(missingTool!.exitCode).toBe(1);
    expect(missingTool!.classification).toBe('image-regression');
    expect(missingTool!.production).toMatchObject({ reference: `${registry.host}/production/val_regress:latest`, status: 'passed', exitCode: 0 });
    expect(sourceBug!.exitCode).toBe(4);
    expect(sourceBug!.classification).toBe('source-failure');
    expect(sourceBug!.production).toMatchObject({ status: 'failed', exitCode: 4 });
  });

  test('log holds command output and notes', () => {
    const log = readFileSync(imageNamed(summary, 'val_junit').log!, 'utf8');
    expect(imageNamed(summary, 'val_junit').log).toBe(path.join(workspace, 'state', 'logs', summary.run.id, 'val_junit.validate.log'));
    expect(log).toContain('2 tests failed');
    expect(log).toContain('command timed out after 3 s and was killed');
  });

  test('containers and worktrees are removed', () => {
    expect(containersOfRun(summary.run.id)).toEqual([]);
    const worktrees = path.join(workspace, 'state', 'worktrees', summary.run.id);
    expect(existsSync(worktrees) ? readdirSync(worktrees) : []).toEqual([]);
    const listed = execFileSync('git', ['-C', path.join(workspace, 'state', 'source'), 'worktree', 'list'], { encoding: 'utf8' });
    expect(listed.trim().split('\n')).toHaveLength(1);
  });

  test('store holds commands and test failures', () => {
    const db = new Database(path.join(workspace, 'state', 'drydock.db'), { readonly: true });
    try {
      const commands = db.prepare('SELECT image, status, exit_code FROM command_results WHERE run_id = ? ORDER BY image, position').all(summary.run.id);
      expect(commands).toEqual([
        { image: 'val_junit', status: 'failed', exit_code: 1 },
        { image: 'val_junit', status: 'timeout', exit_code: 137 },
        { image: 'val_pass', status: 'passed', exit_code: 0 },
        { image: 'val_regress', status: 'failed', exit_code: 1 },
        { image: 'val_regress', status: 'failed', exit_code: 4 },
      ]);
      const failures = db.prepare('SELECT name, kind FROM test_failures WHERE run_id = ? ORDER BY name').all(summary.run.id);
      expect(failures).toEqual([
        { name: 'test_divide', kind: 'failure' },
        { name: 'test_parse', kind: 'failure' },
      ]);
    } finally {
      db.close();
    }
  });
});

describe('validate selection', () => {
  test('--tag and --images pick one image', async () => {
    const result = await runCli(['validate', '--tag', runTag, '--images', 'val_pass', '--json'], { cwd: workspace });
    expect(result.code, result.stderr).toBe(0);
    const summary = validateJson(result.stdout);
    expect(summary.run.rebuildRunId).toBe(rebuildRunId);
    expect(summary.images.map((image) => image.name)).toEqual(['val_pass']);
  });

  test('--run with a validate run id is rejected', async () => {
    const first = validateJson((await runCli(['validate', '--images', 'val_pass', '--json'], { cwd: workspace })).stdout);
    const result = await runCli(['validate', '--run', first.run.id], { cwd: workspace });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`run ${first.run.id} is a validate run, not a rebuild run`);
    expect(result.stderr).toContain(`--run ${rebuildRunId}`);
  });

  test('unknown image is rejected', async () => {
    const result = await runCli(['validate', '--images', 'val_pass,nope'], { cwd: workspace });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('unknown image "nope" in --images');
    expect(result.stderr).toContain('val_junit');
  });

  test('unknown run id is rejected', async () => {
    const result = await runCli(['validate', '--run', '20000101-000000-beef'], { cwd: workspace });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('run "20000101-000000-beef" was not found in the store');
  });

  test('bad and unknown tags are rejected', async () => {
    const bad = await runCli(['validate', '--tag', '../etc'], { cwd: workspace });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--tag = "../etc" is not a valid image tag');

    const unknown = await runCli(['validate', '--tag', '2000-01-01-00-00-00-abcdef0'], { cwd: workspace });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('no rebuild run tagged its images 2000-01-01-00-00-00-abcdef0');
  });

  test('--tag and --run together are rejected', async () => {
    const result = await runCli(['validate', '--tag', runTag, '--run', rebuildRunId], { cwd: workspace });
    expect(result.code).toBe(2);
  });

  test('empty store asks for a rebuild first', async () => {
    const empty = mkdtempSync(path.join(tmpdir(), 'drydock-validate-empty-'));
    const result = await runCli(['validate', '--state-dir', path.join(empty, 'state')], { cwd: empty });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('no rebuild run with a built image is recorded');
  });
});

describe('validate guards', () => {
  test('missing production section gives unknown', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'drydock-validate-noprod-'));
    writeConfig(dir);
    writeFileSync(path.join(dir, 'drydock.yml'), readFileSync(path.join(dir, 'drydock.yml'), 'utf8').replace('state: { dir: ./state }', `state: { dir: ${path.join(workspace, 'state')} }`));
    const result = await runCli(['validate', '--run', rebuildRunId, '--images', 'val_regress', '--json'], { cwd: dir });
    const command = validateJson(result.stdout).images[0]!.commands[0]!;
    expect(command.classification).toBe('unknown');
    expect(command.production!.note).toContain('production.registry is not configured');
  });

  test('unreachable production registry gives unknown', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'drydock-validate-badprod-'));
    writeConfig(dir, `production: { registry: registry.drydock.invalid/prod }\n`);
    writeFileSync(path.join(dir, 'drydock.yml'), readFileSync(path.join(dir, 'drydock.yml'), 'utf8').replace('state: { dir: ./state }', `state: { dir: ${path.join(workspace, 'state')} }`));
    const result = await runCli(['validate', '--run', rebuildRunId, '--images', 'val_regress', '--json'], { cwd: dir });
    const command = validateJson(result.stdout).images[0]!.commands[0]!;
    expect(command.classification).toBe('unknown');
    expect(command.production!.note).toContain('production image registry.drydock.invalid/prod/val_regress:latest is not available');
  });

  test('engine down fails the run', async () => {
    const result = await runCli(['validate', '--images', 'val_pass'], { cwd: workspace, env: { DOCKER_HOST: 'unix:///tmp/drydock-no-engine.sock' } });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('Docker engine at unix:///tmp/drydock-no-engine.sock is unreachable');
  });

  test('SIGINT cancels and removes the container', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'drydock-validate-cancel-'));
    writeConfig(dir);
    const config = readFileSync(path.join(dir, 'drydock.yml'), 'utf8')
      .replace('state: { dir: ./state }', `state: { dir: ${path.join(workspace, 'state')} }`)
      .replace('timeoutMinutes: 0.05', 'timeoutMinutes: 5');
    writeFileSync(path.join(dir, 'drydock.yml'), config);

    let pid = 0;
    const running = runCli(['validate', '--run', rebuildRunId, '--images', 'val_junit', '--json'], { cwd: dir, onSpawn: (value) => (pid = value) });
    const deadline = Date.now() + 60_000;
    while (!execFileSync('docker', ['ps', '--format', '{{.Command}}'], { encoding: 'utf8' }).includes('sleep 60') && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    process.kill(pid, 'SIGINT');
    const result = await running;

    const summary = validateJson(result.stdout);
    expect(result.code).toBe(1);
    expect(summary.run.status).toBe('cancelled');
    expect(imageNamed(summary, 'val_junit').status).toBe('cancelled');
    expect(imageNamed(summary, 'val_junit').commands[1]!.status).toBe('cancelled');
    expect(containersOfRun(summary.run.id)).toEqual([]);
  });
});
