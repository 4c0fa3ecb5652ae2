import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { stripTerminalEscapes } from '../src/build/terminal-escapes.js';
import { groupFingerprint, signFailure, signFailureLines } from '../src/triage/fingerprint.js';
import { runCli } from './helpers/cli.js';
import { createGitRepo } from './helpers/git-repo.js';
import { BUSYBOX_IMAGE } from './helpers/images.js';

// Shapes met when drydock ran on a large real project's CI Dockerfiles: a
// step's stderr arrives colour-coded from the classic builder, apt-key fails
// in a base without GnuPG, and builds wait for an engine slot.

interface JsonImage {
  name: string;
  status: string;
  durationMs: number | null;
  log: string | null;
  failedStep: string | null;
}
interface JsonSummary {
  run: { id: string; status: string; commit: string; startedAt: string; finishedAt: string };
  images: JsonImage[];
}
interface TriageJson {
  fingerprints: { id: string; class: string; images: string[]; errorLines: string[] }[];
}

const ESCAPE = '\u001b';

function createWorkspace(config: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'drydock-shapes-'));
  writeFileSync(path.join(dir, 'drydock.yml'), config);
  return dir;
}

function imageNamed(summary: JsonSummary, name: string): JsonImage {
  const image = summary.images.find((entry) => entry.name === name);
  if (!image) throw new Error(`no image ${name} in ${JSON.stringify(summary.images.map((entry) => entry.name))}`);
  return image;
}

describe('stderr of a failing step', () => {
  let summary: JsonSummary;
  let triage: TriageJson;

  beforeAll(async () => {
    const repo = createGitRepo({
      // The classic builder wraps what a RUN writes to stderr in ESC[91m ... ESC[0m.
      'docker/Dockerfile.sh_cmake': `FROM ${BUSYBOX_IMAGE}\nRUN echo configuring && echo "CMake Error at CMakeLists.txt:12 (find_package):" >&2 && exit 1\n`,
      'docker/Dockerfile.sh_apt': `FROM ${BUSYBOX_IMAGE}\nRUN echo "E: Unable to locate package libfoo-dev" >&2 && exit 100\n`,
    });
    const workspace = createWorkspace(`source: { repo: ${repo} }\nbuild: { pull: false, concurrency: 2 }\n`);
    const rebuild = await runCli(['rebuild', '--json'], { cwd: workspace });
    summary = JSON.parse(rebuild.stdout) as JsonSummary;
    triage = JSON.parse((await runCli(['triage', '--json'], { cwd: workspace })).stdout) as TriageJson;
  });

  test('reaches the log without colour codes', () => {
    for (const name of ['sh_cmake', 'sh_apt']) {
      const log = readFileSync(imageNamed(summary, name).log!, 'utf8');
      expect(log).not.toContain(ESCAPE);
    }
    expect(readFileSync(imageNamed(summary, 'sh_cmake').log!, 'utf8')).toMatch(/Z CMake Error at CMakeLists.txt:12/);
  });

  test('is classified by patterns anchored at line start', () => {
    const cmake = triage.fingerprints.find((entry) => entry.images.includes('sh_cmake'));
    const apt = triage.fingerprints.find((entry) => entry.images.includes('sh_apt'));
    expect(cmake?.class).toBe('compiler');
    expect(apt?.class).toBe('package-not-found');
  });

  test('leaves build bookkeeping out of the error lines', () => {
    const lines = triage.fingerprints.flatMap((entry) => entry.errorLines);
    expect(lines.some((line) => line.includes(ESCAPE))).toBe(false);
    expect(lines.some((line) => line.includes('Removing intermediate container'))).toBe(false);
    expect(lines).toContain('E: Unable to locate package libfoo-dev');
  });
});

describe('log written before escapes were stripped', () => {
  test('is read back as plain text for triage', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'drydock-shapes-log-'));
    const logPath = path.join(dir, 'old.build.log');
    writeFileSync(
      logPath,
      [
        '2026-01-02T03:04:05.000Z Step 3/9 : RUN bash /install/install_toolchain.sh',
        '2026-01-02T03:04:05.100Z  ---> Running in 0a1b2c3d4e5f',
        `2026-01-02T03:04:06.000Z ${ESCAPE}[91mCMake Error at toolchain.cmake:4 (message):`,
        `2026-01-02T03:04:06.100Z ${ESCAPE}[0mRemoving intermediate container 0a1b2c3d4e5f`,
        "2026-01-02T03:04:06.200Z ERROR: The command '/bin/sh -c bash /install/install_toolchain.sh' returned a non-zero code: 1",
        '',
      ].join('\n'),
    );

    const signature = signFailure({
      logPath,
      cause: 'build',
      failedStep: 'Step 3/9 : RUN bash /install/install_toolchain.sh',
      error: "The command '/bin/sh -c bash /install/install_toolchain.sh' returned a non-zero code: 1",
    });

    expect(signature.failureClass).toBe('compiler');
    expect(signature.errorLines).toEqual(['CMake Error at toolchain.cmake:4 (message):']);
  });
});

describe('fingerprint stored with colour codes', () => {
  test('groups the same failure without them', () => {
    const known = [{ id: 'aaaaaaaaaaaa', failureClass: 'network' as const, normalized: `${ESCAPE}[91mcurl: (6) Could not resolve host: dl.invalid` }];
    const signature = signFailureLines(
      ['Step 11/40 : RUN bash /install/install_cmake.sh', 'curl: (6) Could not resolve host: dl.invalid'],
      { cause: 'build', failedStep: 'Step 11/40 : RUN bash /install/install_cmake.sh', error: "The command '/bin/sh -c bash /install/install_cmake.sh' returned a non-zero code: 1" },
    );

    expect(signature.failureClass).toBe('network');
    expect(groupFingerprint(signature, known)).toBe('aaaaaaaaaaaa');
  });
});

describe('images no engine can take', () => {
  const fix = 'add an engine with that platform and those labels under engines: in drydock.yml';
  const signatureFor = (missing: string) => {
    const error = `no Docker engine: no engine declares ${missing}\n  fix: ${fix}`;
    // Logs written before each line of a note got its own timestamp and mark.
    const tail = [`[drydock] finished: failed (no Docker engine: no engine declares ${missing}`, `  fix: ${fix})`];
    return signFailureLines(tail, { cause: 'engine', failedStep: null, error });
  };

  test('fingerprint by what is missing', () => {
    const platform = signatureFor('platform linux/arm64');
    const labels = signatureFor('labels gpu');

    expect(platform.errorLines).toEqual(['no Docker engine: no engine declares platform linux/arm64']);
    expect(labels.errorLines).toEqual(['no Docker engine: no engine declares labels gpu']);
    expect(groupFingerprint(labels, [{ id: platform.exactId, failureClass: platform.failureClass, normalized: platform.normalized }])).toBe(labels.exactId);
  });

  test('log every line of the error with a timestamp', async () => {
    const repo = createGitRepo({ 'docker/Dockerfile.ne_arm': `FROM ${BUSYBOX_IMAGE}\nRUN true\n` });
    const workspace = createWorkspace(
      `source: { repo: ${repo} }\nbuild: { pull: false }\nimages: { overrides: { ne_arm: { platform: linux/s390x } } }\n`,
    );

    const rebuild = await runCli(['rebuild', '--json'], { cwd: workspace });
    const summary = JSON.parse(rebuild.stdout) as JsonSummary;
    const lines = readFileSync(imageNamed(summary, 'ne_arm').log!, 'utf8').trimEnd().split('\n');
    const triage = JSON.parse((await runCli(['triage', '--json'], { cwd: workspace })).stdout) as TriageJson;

    expect(imageNamed(summary, 'ne_arm').status).toBe('failed');
    for (const line of lines) expect(line).toMatch(/^\d{4}-\d\d-\d\dT\S+Z \[drydock\] /);
    expect(triage.fingerprints[0]?.errorLines).toEqual(['no Docker engine: no engine declares platform linux/s390x']);
  });
});

describe('base image missing with pull off', () => {
  test('is a registry failure', async () => {
    // The engine pulls a missing base itself; a name under .invalid never resolves.
    const repo = createGitRepo({
      'docker/Dockerfile.mb_copy': `FROM ${BUSYBOX_IMAGE}\nCOPY --from=tools.invalid/uv:0.1 /uv /bin/\n`,
      'docker/Dockerfile.mb_from': 'FROM tools.invalid/base:1\nRUN true\n',
    });
    const workspace = createWorkspace(`source: { repo: ${repo} }\nbuild: { pull: false, concurrency: 2 }\n`);

    const rebuild = await runCli(['rebuild', '--json'], { cwd: workspace });
    const summary = JSON.parse(rebuild.stdout) as JsonSummary;
    const triage = JSON.parse((await runCli(['triage', '--json'], { cwd: workspace })).stdout) as TriageJson;
    const classOf = (image: string) => triage.fingerprints.find((entry) => entry.images.includes(image))?.class;

    expect(imageNamed(summary, 'mb_copy').status).toBe('failed');
    expect(imageNamed(summary, 'mb_from').status).toBe('failed');
    expect(classOf('mb_copy')).toBe('registry');
    expect(classOf('mb_from')).toBe('registry');
  });

  test('download in a step without DNS is a network failure', () => {
    const signature = signFailureLines(
      ['Step 7/20 : RUN go mod download', 'go: example.invalid/lib@v1.2.0: Get "https://proxy.example.invalid/lib/@v/v1.2.0.mod": dial tcp: lookup proxy.example.invalid: no such host'],
      { cause: 'build', failedStep: 'Step 7/20 : RUN go mod download', error: "The command '/bin/sh -c go mod download' returned a non-zero code: 1" },
    );
    expect(signature.failureClass).toBe('network');
  });
});

describe('stripTerminalEscapes', () => {
  test.each([
    ['colour', `${ESCAPE}[91mwarning${ESCAPE}[0m`, 'warning'],
    ['bold colour with parameters', `${ESCAPE}[1;31mFAILED${ESCAPE}[m test_x`, 'FAILED test_x'],
    ['cursor erase', `50%${ESCAPE}[K`, '50%'],
    ['hyperlink', `${ESCAPE}]8;;https://example.invalid/${ESCAPE}\\docs${ESCAPE}]8;;${ESCAPE}\\`, 'docs'],
    ['window title ended by BEL', `${ESCAPE}]0;title\u0007text`, 'text'],
    ['plain text', 'E: nothing to strip [91m', 'E: nothing to strip [91m'],
  ])('removes %s', (_name, input, expected) => {
    expect(stripTerminalEscapes(input)).toBe(expected);
  });
});

describe('apt-key in a base without GnuPG', () => {
  const report = {
    cause: 'build' as const,
    failedStep: 'Step 5/40 : RUN apt-key adv --fetch-keys https://vendor.example.invalid/repo/key.pub',
    error: "The command '/bin/sh -c apt-key adv --fetch-keys https://vendor.example.invalid/repo/key.pub' returned a non-zero code: 255",
  };

  test('is an apt key failure', () => {
    const signature = signFailureLines(
      [report.failedStep, ' ---> Running in 9f8e7d6c5b4a', 'E: gnupg, gnupg2 and gnupg1 do not seem to be installed, but one of them is required for this operation'],
      report,
    );
    expect(signature.failureClass).toBe('apt-key');
  });

  test('without apt-key is an apt key failure', () => {
    const signature = signFailureLines([report.failedStep, ' ---> Running in 9f8e7d6c5b4a', '/bin/sh: 1: apt-key: not found'], report);
    expect(signature.failureClass).toBe('apt-key');
  });
});

describe('images waiting for an engine slot', () => {
  test('are timed from the start of their build', async () => {
    const repo = createGitRepo({
      'docker/Dockerfile.slot_a': `FROM ${BUSYBOX_IMAGE}\nRUN sleep 3\n`,
      'docker/Dockerfile.slot_b': `FROM ${BUSYBOX_IMAGE}\nRUN sleep 3\n`,
      'docker/Dockerfile.slot_c': `FROM ${BUSYBOX_IMAGE}\nRUN sleep 3\n`,
    });
    const workspace = createWorkspace(`source: { repo: ${repo} }\nbuild: { pull: false, concurrency: 1 }\n`);

    const result = await runCli(['rebuild', '--json'], { cwd: workspace });
    const summary = JSON.parse(result.stdout) as JsonSummary;

    expect(result.code).toBe(0);
    // One slot builds one image at a time, so the builds' durations fit inside the run.
    const runMs = Date.parse(summary.run.finishedAt) - Date.parse(summary.run.startedAt);
    const buildMs = summary.images.reduce((total, image) => total + image.durationMs!, 0);
    expect(buildMs).toBeLessThanOrEqual(runMs);
    for (const image of summary.images) expect(image.durationMs).toBeGreaterThanOrEqual(3_000);
  });
});

describe('nightly --repo', () => {
  test('builds the given repository', async () => {
    const repo = createGitRepo({ 'docker/Dockerfile.nr_one': `FROM ${BUSYBOX_IMAGE}\nRUN echo one > /one.txt\n` });
    const head = execFileSync('git', ['-C', repo, 'rev-parse', 'HEAD'], { encoding: 'utf8' }).trim();
    // The file names no repository; the flag gives it, as in the TVM example.
    const workspace = createWorkspace('source: { ref: main }\nbuild: { pull: false }\n');

    const result = await runCli(['nightly', '--repo', repo, '--json'], { cwd: workspace });
    const nightly = JSON.parse(result.stdout) as { run: { commit: string }; images: { name: string; build: { status: string } }[] };

    expect(nightly.run.commit).toBe(head);
    expect(nightly.images.map((image) => [image.name, image.build.status])).toEqual([['nr_one', 'succeeded']]);
  });
});
