import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { discoverImages } from '../src/catalog/discover-images.js';
import { readEnv } from '../src/config/env.js';
import { loadSettings, type Settings } from '../src/config/load-config.js';
import { createSilentLogger } from '../src/logger.js';
import { InventoryStore } from '../src/store/inventory-store.js';
import { Store } from '../src/store/store.js';
import type { RunRecord } from '../src/store/types.js';
import { ValidateStore } from '../src/store/validate-store.js';
import type { ValidateImageRecord } from '../src/store/validate-types.js';
import { triageValidateFailures } from '../src/triage/triage-failures.js';
import { startFakeGitHub, type FakeGitHub } from './fakes/github-server.js';
import { commitFiles, createGitRepo } from './helpers/git-repo.js';

const DIGEST = `sha256:${'c'.repeat(64)}`;
const PYTEST_TAIL = [
  'tests/python/relay/test_op_level2.py::test_conv2d_winograd FAILED',
  '=================================== FAILURES ===================================',
  'E       AssertionError: Not equal to tolerance rtol=1e-05, atol=1e-05',
  'FAILED tests/python/relay/test_op_level2.py::test_conv2d_winograd - AssertionError: Not equal to tolerance rtol=1e-05, atol=1e-05',
  '==================== 1 failed, 311 passed in 412.35s (0:06:52) ====================',
];

let fake: FakeGitHub;
let dir: string;
let repo: string;
let store: Store;
let settings: Settings;

beforeEach(async () => {
  fake = await startFakeGitHub();
  dir = mkdtempSync(path.join(tmpdir(), 'drydock-triage-validate-'));
  repo = createGitRepo({ 'docker/Dockerfile.ci_cpu': 'FROM ubuntu:22.04\nCOPY install/core.sh /install/\n', 'docker/install/core.sh': 'true\n' });
  writeFileSync(path.join(dir, 'drydock.yml'), `source: { repo: ${repo} }\nstate: { dir: state }\ngithub: { repo: ${fake.repo}, autoFileAfter: 1 }\n`);
  settings = loadSettings({}, readEnv({}), dir);
  store = Store.open(path.join(dir, 'state', 'drydock.db'));
});

afterEach(async () => {
  store.close();
  await fake.stop();
  fake.verify();
});

function insertRun(id: string, kind: RunRecord['kind'], startedAt: string, commit: string): RunRecord {
  const run: RunRecord = {
    id,
    kind,
    trigger: 'schedule',
    triggeredBy: null,
    status: 'succeeded',
    repo,
    commitHash: commit,
    shortCommit: commit.slice(0, 7),
    commitSubject: 'Fixture',
    commitAuthor: 'Drydock Test <test@drydock.invalid>',
    committedAt: startedAt,
    startedAt,
    finishedAt: startedAt,
    error: null,
  };
  store.insertRun(run);
  return run;
}

/** Records a rebuild that built ci_cpu, its validation and its inventory. */
function recordNight(night: number, commit: string, passed: boolean, python: Record<string, string>) {
  const at = `2026-03-0${night}T05:00:00.000Z`;
  const rebuild = insertRun(`r${night}`, 'rebuild', at, commit);
  store.saveImageResult({
    runId: rebuild.id, image: 'ci_cpu', status: 'succeeded', engine: null, notes: [], tags: [], digest: DIGEST, imageId: null, sizeBytes: null,
    durationMs: 1, logPath: null, failedStep: null, error: null, cause: null, baseImages: { 'ubuntu:22.04': DIGEST }, startedAt: at, finishedAt: at,
  });

  const validate = insertRun(`v${night}`, 'validate', `2026-03-0${night}T07:00:00.000Z`, commit);
  const validateStore = new ValidateStore(store.db);
  validateStore.insertValidateRun(validate.id, rebuild.id);
  const logPath = path.join(dir, 'state', 'logs', validate.id, 'ci_cpu.validate.log');
  mkdirSync(path.dirname(logPath), { recursive: true });
  writeFileSync(logPath, (passed ? ['1 passed'] : PYTEST_TAIL).map((line) => `2026-03-0${night}T07:01:00.000Z ${line}\n`).join(''));
  const image: ValidateImageRecord = {
    runId: validate.id, image: 'ci_cpu', rebuildRunId: rebuild.id, status: passed ? 'passed' : 'failed', reference: null, logPath,
    error: passed ? null : 'tests/scripts/task_python_unittest.sh exited with 1', cause: passed ? null : 'tests', inventoryError: null,
    durationMs: 1, startedAt: validate.startedAt, finishedAt: validate.startedAt,
  };
  validateStore.saveImage(image);
  validateStore.saveCommand({
    runId: validate.id, image: 'ci_cpu', position: 0, command: 'tests/scripts/task_python_unittest.sh', status: passed ? 'passed' : 'failed',
    exitCode: passed ? 0 : 1, durationMs: 1, error: null, junit: null, classification: null, production: null,
  });
  new InventoryStore(store.db).save({
    rebuildRunId: rebuild.id, image: 'ci_cpu', validateRunId: validate.id, imageRef: 'ci_cpu@x', takenAt: validate.startedAt,
    osRelease: { PRETTY_NAME: 'Ubuntu 22.04.4 LTS' },
    python: [{ interpreter: '/usr/bin/python3', virtualenv: null, primary: true, packages: python, lister: 'pip' }],
    debian: { libc6: '2.35-0ubuntu3.6' },
  });
  return { rebuild, validate, image };
}

test('validation failure shows package changes', async () => {
  recordNight(1, commitFiles(repo, {}, 'Green'), true, { numpy: '1.26.4', onnx: '1.15.0', six: '1.16.0' });
  const failing = recordNight(2, commitFiles(repo, { 'python/tvm/relay/op.py': 'x = 1\n' }, 'Change the conv2d schedule'), false, {
    numpy: '2.0.0',
    onnx: '1.15.0',
    attrs: '23.2.0',
  });

  const outcome = await triageValidateFailures({
    settings,
    env: readEnv({ GITHUB_TOKEN: fake.token, GITHUB_API_URL: fake.url }),
    store,
    logger: createSilentLogger(),
    run: failing.validate,
    rebuildRun: failing.rebuild,
    sourceDir: repo,
    catalog: discoverImages(settings, repo),
    images: [failing.image],
  });

  const failure = outcome.failures[0]!;
  expect(outcome.problems).toEqual([]);
  expect(failure.kind).toBe('validate');
  expect(failure.failureClass).toBe('test-failure');
  expect(failure.failedStep).toBe('tests/scripts/task_python_unittest.sh');
  expect(failure.suspectRange!.lastGreen!.runId).toBe('r1');
  expect(failure.suspectRange!.packageChanges).toEqual([
    { manager: 'pip', name: 'attrs', before: null, after: '23.2.0' },
    { manager: 'pip', name: 'numpy', before: '1.26.4', after: '2.0.0' },
    { manager: 'pip', name: 'six', before: '1.16.0', after: null },
  ]);
  expect(failure.explanation).toBe("The image's inputs did not change; 3 pip packages did.");
  expect(fake.issues[0]!.title).toBe('ci_cpu validation failed: test failure');
  expect(fake.issues[0]!.body).toContain('`numpy 1.26.4 -> 2.0.0`');
  expect(fake.issues[0]!.body).toContain('/runs/v2/logs/ci_cpu/validate');
});

test('cancelled and unbuilt images are not fingerprinted', async () => {
  const night = recordNight(1, commitFiles(repo, {}, 'Green'), false, {});

  const outcome = await triageValidateFailures({
    settings: { ...settings, github: undefined },
    env: readEnv({}),
    store,
    logger: createSilentLogger(),
    run: night.validate,
    rebuildRun: night.rebuild,
    sourceDir: repo,
    catalog: discoverImages(settings, repo),
    images: [{ ...night.image, status: 'cancelled', cause: 'cancelled' }, { ...night.image, image: 'ci_gpu', status: 'skipped', cause: 'not-built' }],
  });

  expect(outcome.failures).toEqual([]);
  expect(fake.requests).toEqual([]);
});
