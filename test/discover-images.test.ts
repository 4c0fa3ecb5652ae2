import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { discoverImages, type CatalogImage } from '../src/catalog/discover-images.js';
import { readEnv } from '../src/config/env.js';
import { loadSettings, type Settings } from '../src/config/load-config.js';
import { ConfigError } from '../src/errors.js';
import { createGitRepo } from './helpers/git-repo.js';

const STAGING = '127.0.0.1:5000/ci';

/** Loads settings from `yaml`, written in a folder of its own. */
function settingsFrom(yaml = ''): Settings {
  const dir = mkdtempSync(path.join(tmpdir(), 'drydock-catalog-config-'));
  writeFileSync(path.join(dir, 'drydock.yml'), yaml);
  return loadSettings({}, readEnv({}), dir);
}

function byName(images: CatalogImage[], name: string): CatalogImage {
  const image = images.find((candidate) => candidate.name === name);
  if (!image) throw new Error(`image ${name} not in catalog: ${images.map((entry) => entry.name).join(', ')}`);
  return image;
}

/** Runs discoverImages and returns the ConfigError it throws, failing the test when it does not. */
function discoveryErrorOf(settings: Settings, repo: string, selected?: string[]): ConfigError {
  let images: CatalogImage[] | undefined;
  try {
    images = discoverImages(settings, repo, selected);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error(`expected a ConfigError, got images ${images.map((image) => image.name).join(', ')}`);
}

const TVM_LIKE = {
  'docker/Dockerfile.ci_cpu': 'FROM ubuntu:22.04\nCOPY install/ubuntu_setup.sh /install/\n',
  'docker/Dockerfile.ci_gpu': 'FROM nvidia/cuda:12.4.1-devel-ubuntu22.04\n',
  'docker/Dockerfile.demo_android': 'FROM ubuntu:20.04\n',
  'docker/install/ubuntu_setup.sh': '#!/bin/sh\n',
  'docker/README.md': 'not an image\n',
  'tests/scripts/task_lint.sh': '#!/bin/sh\n',
};

describe('discovery', () => {
  test('names come after Dockerfile.', () => {
    const repo = createGitRepo(TVM_LIKE);

    const images = discoverImages(settingsFrom(), repo);

    expect(images.map((image) => image.name)).toEqual(['ci_cpu', 'ci_gpu', 'demo_android']);
  });

  test('context is the Dockerfile folder', () => {
    const repo = createGitRepo(TVM_LIKE);

    const cpu = byName(discoverImages(settingsFrom(), repo), 'ci_cpu');

    expect(cpu.context).toBe(path.join(repo, 'docker'));
    expect(cpu.dockerfile).toBe(path.join(repo, 'docker', 'Dockerfile.ci_cpu'));
    expect(cpu.baseImages).toEqual(['ubuntu:22.04']);
    expect(cpu.parents).toEqual([]);
    expect(cpu.timeoutMinutes).toBe(240);
    expect(cpu.buildArgs).toEqual({});
  });

  test('custom discover glob', () => {
    const repo = createGitRepo({ 'images/Dockerfile.tools': 'FROM alpine\n', 'docker/Dockerfile.ci_cpu': 'FROM alpine\n' });

    const images = discoverImages(settingsFrom('images: { discover: "images/Dockerfile.*" }\n'), repo);

    expect(images.map((image) => image.name)).toEqual(['tools']);
  });

  test('exclude by name pattern', () => {
    const repo = createGitRepo(TVM_LIKE);

    const images = discoverImages(settingsFrom('images: { exclude: ["demo_*"] }\n'), repo);

    expect(images.map((image) => image.name)).toEqual(['ci_cpu', 'ci_gpu']);
  });

  test('exclude by exact name', () => {
    const repo = createGitRepo(TVM_LIKE);

    const images = discoverImages(settingsFrom('images: { exclude: [ci_gpu] }\n'), repo);

    expect(images.map((image) => image.name)).toEqual(['ci_cpu', 'demo_android']);
  });

  test('exclude by Dockerfile path', () => {
    const repo = createGitRepo(TVM_LIKE);

    const images = discoverImages(settingsFrom('images: { exclude: ["docker/Dockerfile.demo_*"] }\n'), repo);

    expect(images.map((image) => image.name)).toEqual(['ci_cpu', 'ci_gpu']);
  });

  test('excluded upper-case name is fine', () => {
    const repo = createGitRepo({ 'docker/Dockerfile.ci_cpu': 'FROM alpine\n', 'docker/Dockerfile.Legacy': 'FROM alpine\n' });

    const images = discoverImages(settingsFrom('images: { exclude: [Legacy] }\n'), repo);

    expect(images.map((image) => image.name)).toEqual(['ci_cpu']);
  });

  test('no Dockerfiles gives an empty catalog', () => {
    const repo = createGitRepo({ 'README.md': 'nothing here\n' });

    expect(discoverImages(settingsFrom(), repo)).toEqual([]);
  });

  test('trailing slash on the checkout path', () => {
    const repo = createGitRepo(TVM_LIKE);

    const images = discoverImages(settingsFrom('images: { overrides: { ci_cpu: { context: "." } } }\n'), `${repo}/`);

    expect(byName(images, 'ci_cpu').context).toBe(repo);
  });
});

describe('invalid names', () => {
  test('upper-case image name', () => {
    const repo = createGitRepo({ 'docker/Dockerfile.CI_Cpu': 'FROM alpine\n' });

    const error = discoveryErrorOf(settingsFrom(), repo);

    expect(error.message).toContain('"CI_Cpu"');
    expect(error.message).toContain('docker/Dockerfile.CI_Cpu');
    expect(error.message).toContain('lower-case');
    expect(error.fix).toContain('images.exclude');
  });
});

describe('overrides', () => {
  test('context, dockerfile and build settings', () => {
    const repo = createGitRepo({
      'docker/Dockerfile.ci_cpu': 'FROM alpine\n',
      'docker/alt/cpu.Dockerfile': 'ARG BASE=alpine\nFROM $BASE\n',
    });
    const settings = settingsFrom(
      [
        'images:',
        '  overrides:',
        '    ci_cpu:',
        '      context: .',
        '      dockerfile: docker/alt/cpu.Dockerfile',
        '      buildArgs: { BASE: "debian:12" }',
        '      target: final',
        '      platform: linux/arm64',
        '      timeoutMinutes: 30',
      ].join('\n'),
    );

    const cpu = byName(discoverImages(settings, repo), 'ci_cpu');

    expect(cpu.context).toBe(repo);
    expect(cpu.dockerfile).toBe(path.join(repo, 'docker', 'alt', 'cpu.Dockerfile'));
    expect(cpu.buildArgs).toEqual({ BASE: 'debian:12' });
    expect(cpu.baseImages).toEqual(['debian:12']);
    expect(cpu.target).toBe('final');
    expect(cpu.platform).toBe('linux/arm64');
    expect(cpu.timeoutMinutes).toBe(30);
  });

  test('override for an unknown image', () => {
    const repo = createGitRepo(TVM_LIKE);

    const error = discoveryErrorOf(settingsFrom('images: { overrides: { ci_cpuu: { target: x } } }\n'), repo);

    expect(error.message).toContain('images.overrides.ci_cpuu');
    expect(error.fix).toContain('ci_cpu, ci_gpu, demo_android');
  });

  test('override for an excluded image', () => {
    const repo = createGitRepo(TVM_LIKE);
    const settings = settingsFrom('images: { exclude: [demo_android], overrides: { demo_android: { target: x } } }\n');

    const error = discoveryErrorOf(settings, repo);

    expect(error.message).toContain('images.overrides.demo_android');
    expect(error.message).toContain('images.exclude');
  });

  test('context outside the repository', () => {
    const repo = createGitRepo(TVM_LIKE);

    const error = discoveryErrorOf(settingsFrom('images: { overrides: { ci_cpu: { context: ../.. } } }\n'), repo);

    expect(error.message).toContain('images.overrides.ci_cpu.context points outside the repository');
    expect(error.message).toContain(path.resolve(repo, '../..'));
  });

  test('dockerfile outside the repository', () => {
    const repo = createGitRepo(TVM_LIKE);

    const error = discoveryErrorOf(settingsFrom('images: { overrides: { ci_cpu: { dockerfile: /etc/hostname } } }\n'), repo);

    expect(error.message).toContain('images.overrides.ci_cpu.dockerfile points outside the repository');
  });

  test('sibling folder sharing a prefix is outside', () => {
    const repo = createGitRepo(TVM_LIKE);
    const sibling = `${path.basename(repo)}-other`;

    const error = discoveryErrorOf(settingsFrom(`images: { overrides: { ci_cpu: { context: ../${sibling} } } }\n`), repo);

    expect(error.message).toContain('points outside the repository');
  });

  test('missing override Dockerfile', () => {
    const repo = createGitRepo(TVM_LIKE);

    const error = discoveryErrorOf(settingsFrom('images: { overrides: { ci_cpu: { dockerfile: docker/nope } } }\n'), repo);

    expect(error.message).toContain(`Dockerfile of image ci_cpu not found: ${path.join(repo, 'docker', 'nope')}`);
    expect(error.fix).toContain('images.overrides.ci_cpu.dockerfile');
  });
});

describe('selection', () => {
  test('--images picks and keeps order', () => {
    const repo = createGitRepo(TVM_LIKE);

    const images = discoverImages(settingsFrom(), repo, ['ci_gpu', 'ci_cpu', 'ci_gpu']);

    expect(images.map((image) => image.name)).toEqual(['ci_gpu', 'ci_cpu']);
  });

  test('unknown name lists known ones', () => {
    const repo = createGitRepo(TVM_LIKE);

    const error = discoveryErrorOf(settingsFrom(), repo, ['ci_cpu', 'ci_arm']);

    expect(error.message).toContain('unknown image "ci_arm" in --images');
    expect(error.message).not.toContain('"ci_cpu"');
    expect(error.fix).toContain('ci_cpu, ci_gpu, demo_android');
  });

  test('empty selection means all', () => {
    const repo = createGitRepo(TVM_LIKE);

    expect(discoverImages(settingsFrom(), repo, [])).toHaveLength(3);
  });
});

describe('parents', () => {
  const staged = `registry: { staging: "${STAGING}" }\n`;

  test.each([
    ['bare name', 'FROM ci_base\n'],
    ['bare name with tag', 'FROM ci_base:latest\n'],
    ['local namespace', 'FROM drydock/ci_base\n'],
    ['staging reference', `FROM ${STAGING}/ci_base:2024-01-01-00-00-00-abc1234\n`],
    ['build arg default', `ARG BASE=${STAGING}/ci_base\nFROM \${BASE}\n`],
  ])('parent by %s', (_case, dockerfile) => {
    const repo = createGitRepo({ 'docker/Dockerfile.ci_base': 'FROM ubuntu:22.04\n', 'docker/Dockerfile.ci_child': dockerfile });

    const child = byName(discoverImages(settingsFrom(staged), repo), 'ci_child');

    expect(child.parents).toEqual(['ci_base']);
    expect(child.baseImages).toEqual([]);
    expect(child.parentReferences.map((entry) => entry.parent)).toEqual(['ci_base']);
  });

  test('parent through a build arg override', () => {
    const repo = createGitRepo({
      'docker/Dockerfile.ci_base': 'FROM ubuntu:22.04\n',
      'docker/Dockerfile.ci_child': 'ARG BASE=ubuntu:22.04\nFROM ${BASE}\n',
    });

    const images = discoverImages(settingsFrom('images: { overrides: { ci_child: { buildArgs: { BASE: "ci_base:latest" } } } }\n'), repo);

    const child = byName(images, 'ci_child');
    expect(child.parents).toEqual(['ci_base']);
    expect(child.parentReferences).toEqual([{ reference: 'ci_base:latest', parent: 'ci_base' }]);
    expect(child.baseImages).toEqual([]);
  });

  test('staging reference without staging is external', () => {
    const repo = createGitRepo({ 'docker/Dockerfile.ci_base': 'FROM alpine\n', 'docker/Dockerfile.ci_child': 'FROM other.example/ns/ci_base\n' });

    const child = byName(discoverImages(settingsFrom(), repo), 'ci_child');

    expect(child.parents).toEqual([]);
    expect(child.baseImages).toEqual(['other.example/ns/ci_base']);
  });

  test('COPY --from a set image is a parent', () => {
    const repo = createGitRepo({ 'docker/Dockerfile.ci_base': 'FROM alpine\n', 'docker/Dockerfile.ci_child': 'FROM alpine\nCOPY --from=ci_base /x /x\n' });

    const child = byName(discoverImages(settingsFrom(), repo), 'ci_child');

    expect(child.parents).toEqual(['ci_base']);
    expect(child.baseImages).toEqual(['alpine']);
  });

  test('parents build first', () => {
    const repo = createGitRepo({
      'docker/Dockerfile.a_leaf': 'FROM m_middle\n',
      'docker/Dockerfile.m_middle': 'FROM z_root\n',
      'docker/Dockerfile.z_root': 'FROM alpine\n',
      'docker/Dockerfile.b_alone': 'FROM alpine\n',
    });

    const names = discoverImages(settingsFrom(), repo).map((image) => image.name);

    expect(names.indexOf('z_root')).toBeLessThan(names.indexOf('m_middle'));
    expect(names.indexOf('m_middle')).toBeLessThan(names.indexOf('a_leaf'));
    expect(names).toHaveLength(4);
  });

  test('FROM cycle is rejected', () => {
    const repo = createGitRepo({
      'docker/Dockerfile.one': 'FROM two\n',
      'docker/Dockerfile.two': 'FROM three\n',
      'docker/Dockerfile.three': 'FROM one\n',
    });

    const error = discoveryErrorOf(settingsFrom(), repo);

    expect(error.message).toContain('FROM cycle');
    expect(error.message).toMatch(/one -> two -> three -> one|two -> three -> one -> two|three -> one -> two -> three/);
  });

  test('image FROM itself is external', () => {
    const repo = createGitRepo({ 'docker/Dockerfile.ci_cpu': 'FROM ci_cpu:previous\n' });

    const cpu = byName(discoverImages(settingsFrom(), repo), 'ci_cpu');

    expect(cpu.parents).toEqual([]);
  });

  test('unselected parent is not pulled', () => {
    const repo = createGitRepo({ 'docker/Dockerfile.ci_base': 'FROM ubuntu:22.04\n', 'docker/Dockerfile.ci_child': 'FROM ci_base\nCOPY --from=busybox /bin/sh /sh\n' });

    const images = discoverImages(settingsFrom(), repo, ['ci_child']);

    expect(images.map((image) => image.name)).toEqual(['ci_child']);
    const child = byName(images, 'ci_child');
    expect(child.parents).toEqual([]);
    expect(child.baseImages).toEqual(['busybox']);
    expect(child.parentReferences).toEqual([{ reference: 'ci_base', parent: 'ci_base' }]);
  });
});
