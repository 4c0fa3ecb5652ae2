import { describe, expect, test } from 'vitest';
import { simpleGit } from 'simple-git';
import { explainSuspects } from '../src/triage/explain.js';
import { findChangedInputs, readImageInputs } from '../src/triage/image-inputs.js';
import type { PackageChange } from '../src/triage/package-changes.js';
import { compareBaseImages, findSuspectRange, type GreenBuild } from '../src/triage/suspect-range.js';
import { commitFiles, createGitRepo } from './helpers/git-repo.js';

const LOCATION = { dockerfile: 'docker/Dockerfile.ci_cpu', context: 'docker', buildArgs: {} };
const DIGEST_A = `sha256:${'a'.repeat(64)}`;
const DIGEST_B = `sha256:${'b'.repeat(64)}`;

describe('readImageInputs', () => {
  test('reads COPY and ADD sources in both forms', () => {
    const inputs = readImageInputs(
      [
        'ARG SCRIPTS=install',
        'FROM ubuntu:22.04 AS build',
        'COPY --chown=root:root ${SCRIPTS}/ubuntu_install_core.sh /install/',
        'COPY ["install/ubuntu_install_python.sh", "install/python_deps.txt", "/install/"]',
        'ADD --chmod=755 https://example.invalid/tool.tar.gz /opt/',
        'ADD patches/*.patch \\',
        '    /patches/',
        'COPY --from=build /usr/bin/tool /usr/bin/',
        'COPY <<EOF /etc/motd',
        '# COPY ignored/file.sh /ignored/',
      ].join('\n'),
      LOCATION,
    );

    expect(inputs.sources.sort()).toEqual([
      'docker/install/python_deps.txt',
      'docker/install/ubuntu_install_core.sh',
      'docker/install/ubuntu_install_python.sh',
      'docker/patches/*.patch',
    ]);
    expect(inputs.wholeContext).toBe(false);
  });

  test('COPY . marks the whole context', () => {
    expect(readImageInputs('FROM x\nCOPY . /src\n', LOCATION).wholeContext).toBe(true);
  });

  test('build args override ARG defaults', () => {
    const inputs = readImageInputs('ARG DIR=install\nFROM x\nCOPY $DIR/a.sh /a.sh\n', { ...LOCATION, buildArgs: { DIR: 'install_v2' } });

    expect(inputs.sources).toEqual(['docker/install_v2/a.sh']);
  });
});

describe('findChangedInputs', () => {
  const inputs = readImageInputs('FROM x\nCOPY install/core.sh /install/\nCOPY patches/*.patch /p/\nCOPY conf /conf\n', LOCATION);

  test('matches files, folders and globs', () => {
    const changed = [
      'docker/Dockerfile.ci_cpu',
      'docker/install/core.sh',
      'docker/install/other.sh',
      'docker/patches/fix.patch',
      'docker/patches/readme.md',
      'docker/conf/nested/a.cfg',
      'src/main.cc',
    ];

    expect(findChangedInputs(changed, inputs, LOCATION, undefined)).toEqual([
      'docker/Dockerfile.ci_cpu',
      'docker/install/core.sh',
      'docker/patches/fix.patch',
      'docker/conf/nested/a.cfg',
    ]);
  });

  test('skips files .dockerignore excludes', () => {
    const whole = readImageInputs('FROM x\nCOPY . /src\n', LOCATION);

    expect(findChangedInputs(['docker/a.sh', 'docker/notes.md', 'README.md'], whole, LOCATION, '*.md\n')).toEqual(['docker/a.sh']);
  });
});

describe('compareBaseImages', () => {
  test('reports changed and new bases only', () => {
    const changes = compareBaseImages({ 'ubuntu:22.04': DIGEST_A, 'busybox:1': DIGEST_A, 'alpine:3': null }, { 'ubuntu:22.04': DIGEST_B, 'busybox:1': DIGEST_A, 'alpine:3': DIGEST_B, 'debian:12': DIGEST_A });

    expect(changes).toEqual([
      { reference: 'debian:12', before: null, after: DIGEST_A },
      { reference: 'ubuntu:22.04', before: DIGEST_A, after: DIGEST_B },
    ]);
  });
});

describe('findSuspectRange', () => {
  const files = {
    'docker/Dockerfile.ci_cpu': 'FROM ubuntu:22.04\nCOPY install/core.sh /install/\nRUN bash /install/core.sh\n',
    'docker/Dockerfile.ci_lint': 'FROM ubuntu:22.04\nCOPY install/lint.sh /install/\n',
    'docker/install/core.sh': 'apt-get update\n',
    'docker/install/lint.sh': 'pip install pylint\n',
  };

  async function rangeAfter(changes: Record<string, string>[], options: { baseAfter?: string; packageChanges?: PackageChange[] | null } = {}) {
    const repo = createGitRepo(files);
    const git = simpleGit(repo);
    const green = (await git.revparse(['HEAD'])).trim();
    let head = green;
    changes.forEach((change, index) => (head = commitFiles(repo, change, `Change ${index + 1}`)));
    const lastGreen: GreenBuild = { runId: 'run-green', commit: green, startedAt: '2026-03-01T05:00:00.000Z', baseImages: { 'ubuntu:22.04': DIGEST_A } };

    return findSuspectRange({ git, lastGreen, commit: head, location: LOCATION, baseImages: { 'ubuntu:22.04': options.baseAfter ?? DIGEST_A }, packageChanges: options.packageChanges ?? null });
  }

  test('lists commits, newest first', async () => {
    const range = await rangeAfter([{ 'README.md': 'a\n' }, { 'src/a.cc': 'int a;\n' }]);

    expect(range.commitCount).toBe(2);
    expect(range.commits.map((commit) => commit.subject)).toEqual(['Change 2', 'Change 1']);
    expect(range.commits[0]!.author).toBe('Drydock Test <test@drydock.invalid>');
    expect(range.historyAvailable).toBe(true);
  });

  test('another image\'s script is not an input', async () => {
    const range = await rangeAfter([{ 'docker/install/lint.sh': 'pip install pylint==3.0\n' }], { baseAfter: DIGEST_B });

    expect(range.changedInputs).toEqual([]);
    expect(range.baseImageChanges).toEqual([{ reference: 'ubuntu:22.04', before: DIGEST_A, after: DIGEST_B }]);
    expect(explainSuspects(range, 'build')).toBe("The image's inputs did not change; the base image did.");
  });

  test('the copied script is an input', async () => {
    const range = await rangeAfter([{ 'docker/install/core.sh': 'apt-get update && apt-get install -y cmake\n' }]);

    expect(range.changedInputs).toEqual(['docker/install/core.sh']);
    expect(explainSuspects(range, 'build')).toBe("The image's inputs changed (docker/install/core.sh).");
  });

  test('a COPY removed from the Dockerfile still counts', async () => {
    const range = await rangeAfter([{ 'docker/Dockerfile.ci_cpu': 'FROM ubuntu:22.04\n', 'docker/install/core.sh': 'true\n' }]);

    expect(range.changedInputs).toEqual(['docker/Dockerfile.ci_cpu', 'docker/install/core.sh']);
  });

  test('sentence counts package changes', async () => {
    const packageChanges: PackageChange[] = [
      { manager: 'pip', name: 'numpy', before: '1.26.4', after: '2.0.0' },
      { manager: 'pip', name: 'onnx', before: '1.15.0', after: '1.16.0' },
      { manager: 'pip', name: 'attrs', before: null, after: '23.2.0' },
      { manager: 'debian', name: 'libc6', before: '2.36-9', after: '2.36-9+deb12u4' },
    ];

    const range = await rangeAfter([{ 'README.md': 'b\n' }], { baseAfter: DIGEST_B, packageChanges });

    expect(explainSuspects(range, 'validate')).toBe("The image's inputs did not change; the base image, 3 pip packages and 1 Debian package did.");
  });

  test('nothing changed points at downloads', async () => {
    const range = await rangeAfter([{ 'README.md': 'c\n' }]);

    expect(explainSuspects(range, 'build')).toBe("Neither the image's inputs nor its base image changed since the last green build (1 commit since), so look at what the build downloads.");
  });

  test('a vanished green commit is reported', async () => {
    const repo = createGitRepo(files);
    const git = simpleGit(repo);
    const head = (await git.revparse(['HEAD'])).trim();
    const lastGreen: GreenBuild = { runId: 'run-green', commit: 'f'.repeat(40), startedAt: '2026-03-01T05:00:00.000Z', baseImages: {} };

    const range = await findSuspectRange({ git, lastGreen, commit: head, location: LOCATION, baseImages: {}, packageChanges: null });

    expect(range.historyAvailable).toBe(false);
    expect(explainSuspects(range, 'build')).toBe('The commits since the last green build (ffffffffffff) could not be read from the checkout.');
  });

  test('no green build says so', async () => {
    const repo = createGitRepo(files);
    const git = simpleGit(repo);

    const range = await findSuspectRange({ git, lastGreen: null, commit: (await git.revparse(['HEAD'])).trim(), location: LOCATION, baseImages: {}, packageChanges: null });

    expect(explainSuspects(range, 'build')).toBe('This image has no green build on record to compare with.');
  });
});
