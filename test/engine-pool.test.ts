import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { runCli } from './helpers/cli.js';
import { createGitRepo } from './helpers/git-repo.js';
import { BUSYBOX_IMAGE } from './helpers/images.js';
import { startFaultySocketProxy } from './helpers/faulty-socket-proxy.js';
import { startRegistry } from './helpers/registry.js';
import { startSecondEngine, type TestEngine } from './helpers/second-engine.js';

interface JsonImage {
  name: string;
  status: string;
  engine: string | null;
  notes: string[];
  log: string;
  error: string | null;
}

let second: TestEngine;

beforeAll(async () => {
  second = await startSecondEngine([BUSYBOX_IMAGE]);
});

afterAll(async () => {
  await second?.stop();
});

function createWorkspace(config: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'drydock-work-'));
  writeFileSync(path.join(dir, 'drydock.yml'), config);
  return dir;
}

function enginesConfig(options: { secondPlatforms?: string; secondLabels?: string } = {}): string {
  return [
    'engines:',
    '  - { name: main, host: "unix:///var/run/docker.sock", slots: 1, platforms: [linux/amd64] }',
    `  - { name: second, host: "${second.host}", slots: 1, platforms: [${options.secondPlatforms ?? 'linux/amd64'}], labels: [${options.secondLabels ?? ''}] }`,
  ].join('\n');
}

describe('two engines', () => {
  test('spread independent images over both', async () => {
    const files: Record<string, string> = {};
    for (const name of ['sp_a', 'sp_b', 'sp_c', 'sp_d']) files[`docker/Dockerfile.${name}`] = `FROM ${BUSYBOX_IMAGE}\nRUN sleep 2\n`;
    const workspace = createWorkspace(`source: { repo: ${createGitRepo(files)} }\nbuild: { pull: false }\n${enginesConfig()}\n`);

    const result = await runCli(['rebuild', '--json'], { cwd: workspace });
    const images = (JSON.parse(result.stdout) as { images: JsonImage[] }).images;

    expect(result.code).toBe(0);
    expect(new Set(images.map((image) => image.engine))).toEqual(new Set(['main', 'second']));
  });

  test('chain stays on its first engine', async () => {
    const files: Record<string, string> = {
      'docker/Dockerfile.ch_base': `FROM ${BUSYBOX_IMAGE}\nRUN sleep 1\n`,
      'docker/Dockerfile.ch_mid': 'FROM ch_base\nRUN sleep 1\n',
      'docker/Dockerfile.ch_leaf': 'FROM ch_mid\nRUN sleep 1\n',
    };
    for (const name of ['ch_side_a', 'ch_side_b', 'ch_side_c']) files[`docker/Dockerfile.${name}`] = `FROM ${BUSYBOX_IMAGE}\nRUN sleep 1\n`;
    const workspace = createWorkspace(`source: { repo: ${createGitRepo(files)} }\nbuild: { pull: false }\n${enginesConfig()}\n`);

    const result = await runCli(['rebuild', '--json'], { cwd: workspace });
    const images = (JSON.parse(result.stdout) as { images: JsonImage[] }).images;
    const engineOf = (name: string) => images.find((image) => image.name === name)?.engine;

    expect(result.code).toBe(0);
    expect(engineOf('ch_mid')).toBe(engineOf('ch_base'));
    expect(engineOf('ch_leaf')).toBe(engineOf('ch_base'));
    for (const image of images) expect(readFileSync(image.log, 'utf8')).not.toContain('copying parent');
  });

  test('arm64 image goes only to the arm64 engine', async () => {
    const repo = createGitRepo({
      'docker/Dockerfile.pl_arm': 'FROM scratch\nCOPY Dockerfile.pl_arm /marker\n',
      'docker/Dockerfile.pl_x1': `FROM ${BUSYBOX_IMAGE}\nRUN sleep 3\n`,
      'docker/Dockerfile.pl_x2': `FROM ${BUSYBOX_IMAGE}\nRUN sleep 3\n`,
    });
    const workspace = createWorkspace(
      [
        `source: { repo: ${repo} }`,
        'build: { pull: false }',
        'images: { overrides: { pl_arm: { platform: linux/arm64 } } }',
        enginesConfig({ secondPlatforms: 'linux/amd64, linux/arm64' }),
        '',
      ].join('\n'),
    );

    const result = await runCli(['rebuild', '--json'], { cwd: workspace });
    const arm = (JSON.parse(result.stdout) as { images: JsonImage[] }).images.find((image) => image.name === 'pl_arm')!;

    expect(result.code).toBe(0);
    expect(arm.engine).toBe('second');
    expect(second.docker(['image', 'inspect', '--format', '{{.Architecture}}', 'drydock/pl_arm:latest']).trim()).toBe('arm64');
  });

  test('image needing a missing label fails naming it', async () => {
    const repo = createGitRepo({ 'docker/Dockerfile.lb_gpu': `FROM ${BUSYBOX_IMAGE}\nRUN true\n` });
    const workspace = createWorkspace(
      `source: { repo: ${repo} }\nbuild: { pull: false }\nimages: { overrides: { lb_gpu: { labels: [gpu] } } }\n${enginesConfig()}\n`,
    );

    const result = await runCli(['rebuild', '--json'], { cwd: workspace });
    const image = (JSON.parse(result.stdout) as { images: JsonImage[] }).images[0]!;

    expect(result.code).toBe(1);
    expect(image.status).toBe('failed');
    expect(image.error).toContain('no engine declares labels gpu');
  });

  test('labelled image builds on the labelled engine', async () => {
    const repo = createGitRepo({
      'docker/Dockerfile.lb_base': `FROM ${BUSYBOX_IMAGE}\nRUN echo parent > /parent\n`,
      'docker/Dockerfile.lb_child': 'FROM lb_base\nRUN cat /parent\n',
    });
    const workspace = createWorkspace(
      [
        `source: { repo: ${repo} }`,
        'build: { pull: false }',
        // The parent may build on either engine; the child must build on "second" and so
        // needs the parent copied there whenever it was built on "main".
        'images: { overrides: { lb_child: { labels: [gpu] } } }',
        enginesConfig({ secondLabels: 'gpu' }),
        '',
      ].join('\n'),
    );

    const result = await runCli(['rebuild', '--json'], { cwd: workspace });
    const images = (JSON.parse(result.stdout) as { images: JsonImage[] }).images;
    const child = images.find((image) => image.name === 'lb_child')!;

    expect(result.code).toBe(0);
    expect(child.engine).toBe('second');
    expect(readFileSync(child.log, 'utf8')).toContain('parent');
  });
});

test('engine lost mid-run moves its work to the other', async () => {
  // The victim is reached through a socket proxy, so cutting the proxy drops
  // drydock's connections at once. Stopping dockerd itself would not do: on
  // SIGTERM it lets running builds finish before it exits.
  const victim = await startSecondEngine([BUSYBOX_IMAGE]);
  const proxy = await startFaultySocketProxy(victim.host.replace('unix://', ''), Math.random, 0);
  try {
    const repo = createGitRepo({
      'docker/Dockerfile.fo_one': `FROM ${BUSYBOX_IMAGE}\nRUN echo fo-marker-one && sleep 6\n`,
      'docker/Dockerfile.fo_two': `FROM ${BUSYBOX_IMAGE}\nRUN echo fo-marker-two && sleep 6\n`,
    });
    const workspace = createWorkspace(
      [
        `source: { repo: ${repo} }`,
        'build: { pull: false }',
        'engines:',
        '  - { name: main, host: "unix:///var/run/docker.sock", slots: 1 }',
        `  - { name: victim, host: "unix://${proxy.path}", slots: 1 }`,
        '',
      ].join('\n'),
    );

    const running = runCli(['rebuild', '--json'], { cwd: workspace });
    await expect.poll(() => victim.docker(['ps', '--no-trunc', '--format', '{{.Command}}']).includes('fo-marker'), { timeout: 30_000, interval: 200 }).toBe(true);
    await proxy.close();
    const result = await running;
    const images = (JSON.parse(result.stdout) as { images: JsonImage[] }).images;
    const moved = images.find((image) => image.notes.length > 0);

    expect(result.code).toBe(0);
    expect(images.map((image) => image.status)).toEqual(['succeeded', 'succeeded']);
    expect(moved?.engine).toBe('main');
    expect(moved?.notes[0]).toMatch(/^engine victim failed \(.+\); retried on another engine$/);
    expect(readFileSync(moved!.log, 'utf8')).toContain('[drydock] engine victim failed');
    expect(result.stderr).toContain('retried on another engine');
  } finally {
    await proxy.close();
    await victim.stop();
  }
});

/** A unix socket that forwards every connection to `target` until closed. */

test('engine lost mid-validation moves the tests', async () => {
  const victim = await startSecondEngine([BUSYBOX_IMAGE]);
  const proxy = await startFaultySocketProxy(victim.host.replace('unix://', ''), Math.random, 0);
  const registry = await startRegistry();
  try {
    const repo = createGitRepo({ 'docker/Dockerfile.vf_one': `FROM ${BUSYBOX_IMAGE}\nRUN echo ok > /marker\n` });
    const workspace = createWorkspace(
      [
        `source: { repo: ${repo} }`,
        'build: { pull: false }',
        `registry: { staging: ${registry.host}/vf }`,
        'validate: { network: none, tests: { vf_one: ["echo vf-marker && sleep 8 && grep ok /marker"] } }',
        // The victim is listed first, so the build and, by preference, the tests go there.
        'engines:',
        `  - { name: victim, host: "unix://${proxy.path}", slots: 1 }`,
        '  - { name: main, host: "unix:///var/run/docker.sock", slots: 1 }',
        '',
      ].join('\n'),
    );

    const running = runCli(['nightly', '--json'], { cwd: workspace });
    await expect.poll(() => victim.docker(['ps', '--no-trunc', '--format', '{{.Command}}']).includes('vf-marker'), { timeout: 60_000, interval: 200 }).toBe(true);
    await proxy.close();
    const result = await running;
    const summary = JSON.parse(result.stdout) as { validate: { id: string }; images: { build: JsonImage; validate: { status: string } | null }[] };
    const image = summary.images[0]!;
    const log = readFileSync(path.join(workspace, '.drydock', 'logs', summary.validate.id, 'vf_one.validate.log'), 'utf8');

    expect(result.code).toBe(0);
    expect(image.build.engine).toBe('victim');
    expect(image.validate?.status).toBe('passed');
    expect(log).toMatch(/\[drydock\] engine victim failed \(.+\); validated again on another engine/);
  } finally {
    await proxy.close();
    await registry.stop();
    await victim.stop();
  }
});

test('validation runs on the engine with the image labels', async () => {
  const repo = createGitRepo({ 'docker/Dockerfile.vp_gpu': `FROM ${BUSYBOX_IMAGE}\nRUN echo gpu > /marker\n` });
  const workspace = createWorkspace(
    [
      `source: { repo: ${repo} }`,
      'build: { pull: false }',
      'images: { overrides: { vp_gpu: { labels: [gpu] } } }',
      'validate: { network: none, tests: { vp_gpu: ["grep gpu /marker"] } }',
      enginesConfig({ secondLabels: 'gpu' }),
      '',
    ].join('\n'),
  );

  const result = await runCli(['nightly', '--json'], { cwd: workspace });
  const summary = JSON.parse(result.stdout) as { images: { name: string; build: JsonImage; validate: { status: string } | null }[] };
  const image = summary.images[0]!;

  expect(result.code).toBe(0);
  expect(image.build.engine).toBe('second');
  // The image was never pushed, so it exists only on "second": passing proves the tests ran there.
  expect(image.validate?.status).toBe('passed');
});
