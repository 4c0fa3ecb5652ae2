import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { discoverImages } from '../src/catalog/discover-images.js';
import { readEnv } from '../src/config/env.js';
import { loadSettings, type Settings } from '../src/config/load-config.js';
import { ConfigError } from '../src/errors.js';
import { fileIssueForFailure } from '../src/github/file-issue.js';
import { readFingerprintMarker } from '../src/github/issue-marker.js';
import type { RetryPolicy } from '../src/github/retry.js';
import { createSilentLogger } from '../src/logger.js';
import { Store } from '../src/store/store.js';
import type { ImageResultRecord } from '../src/store/types.js';
import { triageBuildFailures, type TriageOutcome } from '../src/triage/triage-failures.js';
import { TriageStore } from '../src/triage/triage-store.js';
import { startFakeGitHub, type FakeGitHub } from './fakes/github-server.js';
import { commitFiles, createGitRepo } from './helpers/git-repo.js';

const APT_KEY_TAIL = [
  'Step 3/4 : RUN bash /install/ubuntu_install_llvm.sh',
  ' ---> Running in 4f1d2c3b9a7e',
  'Err:2 http://apt.llvm.org/jammy llvm-toolchain-jammy-17 InRelease',
  '  The following signatures were invalid: EXPKEYSIG 15CF4D18AF4F7421 Sylvestre Ledru - Debian LLVM packages <sylvestre@debian.org>',
  'W: GPG error: http://apt.llvm.org/jammy llvm-toolchain-jammy-17 InRelease: The following signatures were invalid: EXPKEYSIG 15CF4D18AF4F7421',
  "E: The repository 'http://apt.llvm.org/jammy llvm-toolchain-jammy-17 InRelease' is not signed.",
  "ERROR: The command '/bin/sh -c bash /install/ubuntu_install_llvm.sh' returned a non-zero code: 100",
];
const PIP_TAIL = [
  'Step 4/4 : RUN pip3 install onnx==1.99.0',
  ' ---> Running in 0c1d2e3f4a5b',
  'ERROR: Could not find a version that satisfies the requirement onnx==1.99.0 (from versions: 1.14.0, 1.15.0)',
  'ERROR: No matching distribution found for onnx==1.99.0',
];
const DAY_MS = 24 * 60 * 60 * 1000;

interface Fixture {
  fake: FakeGitHub;
  dir: string;
  repo: string;
  store: Store;
  delays: number[];
  retry: RetryPolicy;
  night: number;
}

let fixture: Fixture;

beforeEach(async () => {
  const fake = await startFakeGitHub();
  const dir = mkdtempSync(path.join(tmpdir(), 'drydock-github-'));
  const repo = createGitRepo({
    'docker/Dockerfile.ci_cpu': 'FROM ubuntu:22.04\nCOPY install/ubuntu_install_llvm.sh /install/\nRUN bash /install/ubuntu_install_llvm.sh\n',
    'docker/install/ubuntu_install_llvm.sh': 'apt-get update\n',
  });
  const delays: number[] = [];
  fixture = {
    fake,
    dir,
    repo,
    store: Store.open(path.join(dir, 'state', 'drydock.db')),
    delays,
    retry: { retries: 4, baseDelayMs: 1000, sleep: async (milliseconds) => void delays.push(milliseconds) },
    night: 0,
  };
});

afterEach(async () => {
  fixture.store.close();
  await fixture.fake.stop();
  fixture.fake.verify();
});

function settingsWith(github: string): Settings {
  const config = `source: { repo: ${fixture.repo} }\nstate: { dir: state }\ndashboard: { publicUrl: "https://ci.example.invalid/drydock" }\ngithub: ${github}\n`;
  writeFileSync(path.join(fixture.dir, 'drydock.yml'), config);
  return loadSettings({}, readEnv({}), fixture.dir);
}

function githubEnv(overrides: Record<string, string> = {}) {
  return readEnv({ GITHUB_TOKEN: fixture.fake.token, GITHUB_API_URL: fixture.fake.url, ...overrides });
}

/**
 * Records one nightly run of ci_cpu at the repository's current commit, with
 * its log, then runs triage as the rebuild pipeline does.
 */
async function runNight(
  settings: Settings,
  outcome: { status: 'succeeded' } | { status: 'failed'; tail: string[] },
  env = githubEnv(),
): Promise<TriageOutcome> {
  fixture.night++;
  const startedAt = new Date(Date.UTC(2026, 2, fixture.night, 5, 0, 0));
  const runId = `202603${String(fixture.night).padStart(2, '0')}-050000-ab${String(fixture.night).padStart(2, '0')}`;
  const commit = (await import('node:child_process')).execFileSync('git', ['-C', fixture.repo, 'rev-parse', 'HEAD'], { encoding: 'utf8' }).trim();
  fixture.store.insertRun({
    id: runId,
    kind: 'rebuild',
    trigger: 'schedule',
    triggeredBy: null,
    status: outcome.status,
    repo: fixture.repo,
    commitHash: commit,
    shortCommit: commit.slice(0, 7),
    commitSubject: 'Nightly fixture',
    commitAuthor: 'Drydock Test <test@drydock.invalid>',
    committedAt: startedAt.toISOString(),
    startedAt: startedAt.toISOString(),
    finishedAt: startedAt.toISOString(),
    error: null,
  });

  const logPath = path.join(fixture.dir, 'state', 'logs', runId, 'ci_cpu.build.log');
  mkdirSync(path.dirname(logPath), { recursive: true });
  const lines = outcome.status === 'failed' ? outcome.tail : ['Step 3/3 : RUN true', 'Successfully built 3c4d5e6f7a8b'];
  writeFileSync(logPath, lines.map((line, index) => `${new Date(startedAt.getTime() + index * 1000).toISOString()} ${line}\n`).join(''));

  const result: ImageResultRecord = {
    runId,
    image: 'ci_cpu',
    status: outcome.status,
    engine: null,
    notes: [],
    tags: [],
    digest: null,
    imageId: null,
    sizeBytes: null,
    durationMs: 1000,
    logPath,
    failedStep: outcome.status === 'failed' ? outcome.tail[0]! : null,
    error: outcome.status === 'failed' ? 'The command returned a non-zero code: 1' : null,
    cause: outcome.status === 'failed' ? 'build' : null,
    baseImages: { 'ubuntu:22.04': `sha256:${String(fixture.night % 2).repeat(64)}` },
    startedAt: startedAt.toISOString(),
    finishedAt: startedAt.toISOString(),
  };
  fixture.store.saveImageResult(result);

  return triageBuildFailures({
    settings,
    env,
    store: fixture.store,
    logger: createSilentLogger(),
    run: fixture.store.getRun(runId)!,
    sourceDir: fixture.repo,
    catalog: discoverImages(settings, fixture.repo),
    results: [result],
    github: { retry: fixture.retry, clock: () => new Date(startedAt.getTime() + DAY_MS / 4) },
  });
}

function posts(pattern: RegExp) {
  return fixture.fake.requests.filter((request) => request.method === 'POST' && pattern.test(request.path) && request.status < 300);
}

describe('automatic filing', () => {
  test('same failure twice: one issue, one comment', async () => {
    const settings = settingsWith('{ repo: octo-org/ci-images, autoFileAfter: 1 }');
    await runNight(settings, { status: 'succeeded' });
    commitFiles(fixture.repo, { 'docker/install/ubuntu_install_llvm.sh': 'apt-get update && apt-get install -y llvm-17\n' }, 'Install LLVM 17');

    const first = await runNight(settings, { status: 'failed', tail: APT_KEY_TAIL });
    const second = await runNight(settings, { status: 'failed', tail: APT_KEY_TAIL });

    expect(first.issues.map((issue) => issue.action)).toEqual(['created']);
    expect(second.issues.map((issue) => issue.action)).toEqual(['commented']);
    expect(second.issues[0]!.url).toBe(first.issues[0]!.url);
    expect(fixture.fake.issues).toHaveLength(1);
    expect(fixture.fake.issues[0]!.comments).toHaveLength(1);
    expect(posts(/\/issues$/)).toHaveLength(1);
    expect(posts(/\/comments$/)).toHaveLength(1);
    expect(first.failures[0]!.fingerprintId).toBe(second.failures[0]!.fingerprintId);
  });

  test('issue names image, class, range and log', async () => {
    const settings = settingsWith('{ repo: octo-org/ci-images, autoFileAfter: 1, labels: [drydock, ci-images] }');
    await runNight(settings, { status: 'succeeded' });
    const green = fixture.store.listRuns()[0]!.commitHash!;
    const head = commitFiles(fixture.repo, { 'docker/install/ubuntu_install_llvm.sh': 'apt-get install -y llvm-17\n' }, 'Install LLVM 17');

    const outcome = await runNight(settings, { status: 'failed', tail: APT_KEY_TAIL });

    const issue = fixture.fake.issues[0]!;
    const failure = outcome.failures[0]!;
    expect(issue.title).toBe('ci_cpu build failed: apt key or signature failure');
    expect(issue.labels).toEqual(['drydock', 'ci-images']);
    expect(readFingerprintMarker(issue.body)).toBe(failure.fingerprintId);
    expect(issue.body).toContain(`${fixture.fake.url}/octo-org/ci-images/compare/${green}...${head}`);
    expect(issue.body).toContain(`https://ci.example.invalid/drydock/runs/${failure.runId}/logs/ci_cpu/build`);
    expect(issue.body).toContain("The image's inputs changed (docker/install/ubuntu_install_llvm.sh), and so did the base image.");
    expect(issue.body).toContain('Install LLVM 17');
    expect(issue.body).toContain('EXPKEYSIG 15CF4D18AF4F7421');
    expect(issue.body).toContain('No inventory to compare');
    expect(fixture.fake.requests.every((request) => request.authorization === `token ${fixture.fake.token}`)).toBe(true);
  });

  test('different failure files a second issue', async () => {
    const settings = settingsWith('{ repo: octo-org/ci-images, autoFileAfter: 1 }');

    const apt = await runNight(settings, { status: 'failed', tail: APT_KEY_TAIL });
    const pip = await runNight(settings, { status: 'failed', tail: PIP_TAIL });

    expect(apt.issues[0]!.action).toBe('created');
    expect(pip.issues[0]!.action).toBe('created');
    expect(fixture.fake.issues.map((issue) => issue.title)).toEqual([
      'ci_cpu build failed: apt key or signature failure',
      'ci_cpu build failed: pip resolution or version failure',
    ]);
    expect(apt.failures[0]!.fingerprintId).not.toBe(pip.failures[0]!.fingerprintId);
  });

  test('waits for autoFileAfter failures in a row', async () => {
    const settings = settingsWith('{ repo: octo-org/ci-images }');

    const first = await runNight(settings, { status: 'failed', tail: APT_KEY_TAIL });
    await runNight(settings, { status: 'succeeded' });
    const afterGreen = await runNight(settings, { status: 'failed', tail: APT_KEY_TAIL });
    const second = await runNight(settings, { status: 'failed', tail: APT_KEY_TAIL });

    expect(first.issues).toEqual([]);
    expect(afterGreen.issues).toEqual([]);
    expect(second.issues.map((issue) => issue.action)).toEqual(['created']);
    expect(fixture.fake.issues).toHaveLength(1);
  });

  test('finds its issue on a later page', async () => {
    const settings = settingsWith('{ repo: octo-org/ci-images, autoFileAfter: 1 }');
    const first = await runNight(settings, { status: 'failed', tail: APT_KEY_TAIL });
    for (let index = 0; index < 120; index++) fixture.fake.addIssue({ title: `other ${index}`, body: 'unrelated', labels: ['drydock'] });
    // As after a lost state directory: only the marker ties the issue to the fingerprint.
    fixture.store.db.prepare('UPDATE fingerprints SET issue_number = NULL, issue_url = NULL').run();

    const again = await runNight(settings, { status: 'failed', tail: APT_KEY_TAIL });

    expect(again.issues.map((issue) => issue.action)).toEqual(['commented']);
    expect(again.issues[0]!.number).toBe(first.issues[0]!.number);
    expect(fixture.fake.requests.some((request) => request.path.endsWith('/issues') && request.query.page === '2')).toBe(true);
  });

  test('autoFileAfter 0 files nothing', async () => {
    const settings = settingsWith('{ repo: octo-org/ci-images, autoFileAfter: 0 }');

    await runNight(settings, { status: 'failed', tail: APT_KEY_TAIL });
    const outcome = await runNight(settings, { status: 'failed', tail: APT_KEY_TAIL });

    expect(outcome.issues).toEqual([]);
    expect(fixture.fake.requests).toEqual([]);
  });
});

describe('closed issues', () => {
  test('closed inside the window is reopened', async () => {
    const settings = settingsWith('{ repo: octo-org/ci-images, autoFileAfter: 1, reopenWindowDays: 7 }');
    const first = await runNight(settings, { status: 'failed', tail: APT_KEY_TAIL });
    const issue = fixture.fake.issues[0]!;
    Object.assign(issue, { state: 'closed', closed_at: new Date(Date.UTC(2026, 2, 1, 12)).toISOString() });

    const again = await runNight(settings, { status: 'failed', tail: APT_KEY_TAIL });

    expect(again.issues[0]!.action).toBe('reopened');
    expect(again.issues[0]!.number).toBe(first.issues[0]!.number);
    expect(issue.state).toBe('open');
    expect(issue.comments).toHaveLength(1);
    expect(issue.comments[0]!.body).toContain('Reopened by drydock');
    expect(fixture.fake.issues).toHaveLength(1);
  });

  test('closed outside the window gets a new issue', async () => {
    const settings = settingsWith('{ repo: octo-org/ci-images, autoFileAfter: 1, reopenWindowDays: 7 }');
    const old = fixture.fake.addIssue({ title: 'old', body: 'x', labels: ['drydock'] });
    const first = await runNight(settings, { status: 'failed', tail: APT_KEY_TAIL });
    fixture.fake.issues[1]!.state = 'closed';
    fixture.fake.issues[1]!.closed_at = new Date(Date.UTC(2026, 1, 1)).toISOString();
    fixture.night += 20;

    const later = await runNight(settings, { status: 'failed', tail: APT_KEY_TAIL });

    expect(old.comments).toEqual([]);
    expect(later.issues[0]!.action).toBe('created');
    expect(later.issues[0]!.number).not.toBe(first.issues[0]!.number);
    expect(fixture.fake.issues.at(-1)!.body).toContain(`filed before as #${first.issues[0]!.number}`);
  });
});

describe('GitHub errors', () => {
  test('502 then 200 files exactly one issue', async () => {
    const settings = settingsWith('{ repo: octo-org/ci-images, autoFileAfter: 1 }');
    fixture.fake.failNext({ method: 'POST', path: /\/issues$/, status: 502 });

    const outcome = await runNight(settings, { status: 'failed', tail: APT_KEY_TAIL });

    expect(outcome.issues.map((issue) => issue.action)).toEqual(['created']);
    expect(fixture.fake.issues).toHaveLength(1);
    expect(fixture.delays).toEqual([1000]);
  });

  test('502 after GitHub stored the issue files no duplicate', async () => {
    const settings = settingsWith('{ repo: octo-org/ci-images, autoFileAfter: 1 }');
    fixture.fake.failNext({ method: 'POST', path: /\/issues$/, status: 502, applyFirst: true });

    const outcome = await runNight(settings, { status: 'failed', tail: APT_KEY_TAIL });

    expect(outcome.issues.map((issue) => issue.action)).toEqual(['created']);
    expect(fixture.fake.issues).toHaveLength(1);
    expect(fixture.fake.requests.filter((request) => request.method === 'POST')).toHaveLength(1);
  });

  test('comment stored before a 502 is not repeated', async () => {
    const settings = settingsWith('{ repo: octo-org/ci-images, autoFileAfter: 1 }');
    await runNight(settings, { status: 'failed', tail: APT_KEY_TAIL });
    fixture.fake.failNext({ method: 'POST', path: /\/comments$/, status: 503, applyFirst: true });

    const outcome = await runNight(settings, { status: 'failed', tail: APT_KEY_TAIL });

    expect(outcome.issues.map((issue) => issue.action)).toEqual(['commented']);
    expect(fixture.fake.issues[0]!.comments).toHaveLength(1);
  });

  test('429 waits as retry-after asks', async () => {
    const settings = settingsWith('{ repo: octo-org/ci-images, autoFileAfter: 1 }');
    fixture.fake.failNext({ method: 'GET', path: /\/issues$/, status: 429, retryAfter: 3 });

    const outcome = await runNight(settings, { status: 'failed', tail: APT_KEY_TAIL });

    expect(outcome.issues.map((issue) => issue.action)).toEqual(['created']);
    expect(fixture.delays).toEqual([3000]);
  });

  test('GitHub down keeps the failure for the next run', async () => {
    const settings = settingsWith('{ repo: octo-org/ci-images, autoFileAfter: 1 }');
    fixture.fake.failNext({ method: 'GET', path: /\/issues$/, status: 502, times: 5 });

    const down = await runNight(settings, { status: 'failed', tail: APT_KEY_TAIL });
    const back = await runNight(settings, { status: 'failed', tail: APT_KEY_TAIL });

    expect(down.issues).toEqual([]);
    expect(down.problems).toHaveLength(1);
    expect(down.problems[0]).toContain(`GitHub at ${fixture.fake.url} failed to list issues: HTTP 502`);
    expect(fixture.delays).toEqual([1000, 2000, 4000, 8000]);
    expect(new TriageStore(fixture.store.db).listSummaries()[0]!.count).toBe(2);
    expect(back.issues.map((issue) => issue.action)).toEqual(['created']);
  });

  test('401 is reported at once without retries', async () => {
    const settings = settingsWith('{ repo: octo-org/ci-images, autoFileAfter: 1 }');

    const outcome = await runNight(settings, { status: 'failed', tail: APT_KEY_TAIL }, githubEnv({ GITHUB_TOKEN: 'wrong-token' }));

    expect(outcome.problems[0]).toContain('Bad credentials');
    expect(fixture.delays).toEqual([]);
    expect(fixture.fake.requests).toHaveLength(1);
  });
});

describe('missing GITHUB_TOKEN', () => {
  test('names the variable and loses nothing', async () => {
    const settings = settingsWith('{ repo: octo-org/ci-images, autoFileAfter: 1 }');

    const without = await runNight(settings, { status: 'failed', tail: APT_KEY_TAIL }, githubEnv({ GITHUB_TOKEN: '' }));
    const withToken = await runNight(settings, { status: 'failed', tail: APT_KEY_TAIL });

    expect(without.problems).toHaveLength(1);
    expect(without.problems[0]).toContain('GITHUB_TOKEN is not set');
    expect(without.failures).toHaveLength(1);
    expect(withToken.issues.map((issue) => issue.action)).toEqual(['created']);
    expect(fixture.fake.requests.filter((request) => request.method === 'POST')).toHaveLength(1);
  });

  test('fileIssueForFailure throws a ConfigError', async () => {
    const settings = settingsWith('{ repo: octo-org/ci-images, autoFileAfter: 0 }');
    await runNight(settings, { status: 'failed', tail: APT_KEY_TAIL });

    const filing = fileIssueForFailure({ store: fixture.store, settings, env: readEnv({}), logger: createSilentLogger(), image: 'ci_cpu' });

    await expect(filing).rejects.toThrow(ConfigError);
    await expect(filing).rejects.toThrow(/GITHUB_TOKEN/);
    expect(fixture.fake.requests).toEqual([]);
  });
});

describe('fileIssueForFailure', () => {
  test('returns the issue URL', async () => {
    const settings = settingsWith('{ repo: octo-org/ci-images, autoFileAfter: 0 }');
    await runNight(settings, { status: 'failed', tail: APT_KEY_TAIL });

    const filed = await fileIssueForFailure({ store: fixture.store, settings, env: githubEnv(), logger: createSilentLogger(), image: 'ci_cpu', retry: fixture.retry });

    expect(filed.action).toBe('created');
    expect(filed.url).toBe(`${fixture.fake.url}/octo-org/ci-images/issues/1`);
    expect(new TriageStore(fixture.store.db).getFingerprint(filed.fingerprintId)!.issueUrl).toBe(filed.url);
  });

  test('same run twice reports once', async () => {
    const settings = settingsWith('{ repo: octo-org/ci-images, autoFileAfter: 1 }');
    const night = await runNight(settings, { status: 'failed', tail: APT_KEY_TAIL });

    const again = await fileIssueForFailure({ store: fixture.store, settings, env: githubEnv(), logger: createSilentLogger(), image: 'ci_cpu', runId: night.failures[0]!.runId, retry: fixture.retry });

    expect(again.action).toBe('unchanged');
    expect(fixture.fake.issues[0]!.comments).toEqual([]);
  });

  test('unknown image is rejected', async () => {
    const settings = settingsWith('{ repo: octo-org/ci-images }');

    const filing = fileIssueForFailure({ store: fixture.store, settings, env: githubEnv(), logger: createSilentLogger(), image: 'ci_nope' });

    await expect(filing).rejects.toThrow('no failure of image ci_nope is recorded');
  });

  test('redacts secrets from the log', async () => {
    const settings = settingsWith('{ repo: octo-org/ci-images, autoFileAfter: 1 }');
    process.env.DRYDOCK_TEST_API_TOKEN = 'tok-4f9c2e71b3';
    try {
      await runNight(settings, { status: 'failed', tail: [...APT_KEY_TAIL.slice(0, -1), 'curl -H "Authorization: Bearer tok-4f9c2e71b3" https://x.invalid', APT_KEY_TAIL.at(-1)!] });
    } finally {
      delete process.env.DRYDOCK_TEST_API_TOKEN;
    }

    expect(fixture.fake.issues[0]!.body).not.toContain('tok-4f9c2e71b3');
    expect(fixture.fake.issues[0]!.body).toContain('Bearer [redacted]');
  });
});

describe('fake GitHub', () => {
  test('records an unexpected request', async () => {
    const response = await fetch(`${fixture.fake.url}/repos/octo-org/ci-images/deployments`, { headers: { authorization: `token ${fixture.fake.token}` } });

    expect(response.status).toBe(404);
    expect(() => fixture.fake.verify()).toThrow('unexpected requests: GET /repos/octo-org/ci-images/deployments');
    fixture.fake.unexpected.length = 0;
  });
});
