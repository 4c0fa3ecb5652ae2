import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { planComposeValidation, type ComposeValidationPlan } from '../src/catalog/compose-validation.js';
import { readEnv } from '../src/config/env.js';
import { loadSettings, type Settings } from '../src/config/load-config.js';
import { runCli } from './helpers/cli.js';
import { createGitRepo } from './helpers/git-repo.js';
import { BUSYBOX_IMAGE, removeImages } from './helpers/images.js';

const COMPOSE = [
  'services:',
  '  vcat-app:',
  '    build: { context: ../.., dockerfile: ci/app.Dockerfile }',
  '    command: ["sh", "-c", "pwd && cat ../data/input.txt && echo \\"$$MODE $$SUITE\\" > /src/out/result.txt"]',
  '    working_dir: /src/tests',
  '    environment:',
  '      MODE: ${VCAT_MODE:-nightly}',
  '    volumes:',
  '      - ../..:/src',
  '      - ../../data:/data:ro',
  '      - cache:/cache',
  '  vcat-lint:',
  '    build: { context: ../.., dockerfile: ci/app.Dockerfile }',
  '    command: echo lint',
  '  vcat-plain:',
  '    build: { context: ../.., dockerfile: ci/app.Dockerfile }',
  'volumes:',
  '  cache: {}',
].join('\n');

const FILES = {
  'ci/compose/compose.yml': COMPOSE,
  'ci/app.Dockerfile': `FROM ${BUSYBOX_IMAGE}\nRUN echo app > /app.txt\n`,
  'data/input.txt': 'input from the checkout\n',
  'tests/.keep': '',
  'out/.keep': '',
};

const CONFIG = [
  'build: { pull: false }',
  'images: { compose: ci/compose/compose.yml }',
  'validate:',
  '  fromCompose: true',
  '  env: { SUITE: all, MODE: overridden }',
  '  tests: { vcat-lint: ["echo from validate.tests"] }',
  '',
].join('\n');

function settingsFor(repo: string): Settings {
  const dir = mkdtempSync(path.join(tmpdir(), 'drydock-compose-validation-'));
  writeFileSync(path.join(dir, 'drydock.yml'), `source: { repo: ${repo} }\n${CONFIG}`);
  return loadSettings({}, readEnv({}), dir);
}

/** Runs a plan in a fresh container of `image`, as the validate pipeline's container request would. */
function runPlan(image: string, plan: ComposeValidationPlan): string {
  const binds = Object.entries(plan.mounts).flatMap(([target, source]) => ['-v', `${source}:${target}${plan.readOnly.includes(target) ? ':ro' : ''}`]);
  const env = Object.entries(plan.env).flatMap(([name, value]) => ['-e', `${name}=${value}`]);
  return execFileSync('docker', ['run', '--rm', '--network', 'none', '-w', plan.workdir, ...binds, ...env, image, 'sh', '-c', plan.command], { encoding: 'utf8' });
}

describe('validation from Compose', () => {
  let repo: string;
  let workspace: string;

  beforeAll(() => {
    repo = createGitRepo(FILES);
    workspace = mkdtempSync(path.join(tmpdir(), 'drydock-compose-validation-work-'));
    writeFileSync(path.join(workspace, 'drydock.yml'), `source: { repo: ${repo} }\n${CONFIG}`);
  });

  afterAll(() => {
    removeImages(['drydock/vcat-app:latest', 'drydock/vcat-lint:latest', 'drydock/vcat-plain:latest']);
  });

  test('plan takes command, working_dir, environment and mounts', () => {
    const plan = planComposeValidation(settingsFor(repo), repo, 'vcat-app', {});

    expect(plan).toEqual({
      command: `sh -c 'pwd && cat ../data/input.txt && echo "$MODE $SUITE" > /src/out/result.txt'`,
      workdir: '/src/tests',
      mounts: { '/src': repo, '/data': path.join(repo, 'data') },
      readOnly: ['/data'],
      env: { SUITE: 'all', MODE: 'nightly' },
    });
  });

  test('validate.tests wins over Compose', () => {
    expect(planComposeValidation(settingsFor(repo), repo, 'vcat-lint', {})).toBeUndefined();
  });

  test('service without command: has no plan', () => {
    expect(planComposeValidation(settingsFor(repo), repo, 'vcat-plain', {})).toBeUndefined();
  });

  test('images --json shows where tests come from', async () => {
    const result = await runCli(['images', '--json'], { cwd: workspace });
    const images = (JSON.parse(result.stdout) as { images: { name: string; tests: Record<string, unknown> | null }[] }).images;
    const testsOf = (name: string) => images.find((image) => image.name === name)?.tests;

    expect(result.code).toBe(0);
    expect(testsOf('vcat-app')).toMatchObject({ from: 'compose', workdir: '/src/tests', ignoredVolumes: ['cache:/cache: not a bind mount'] });
    expect(testsOf('vcat-lint')).toEqual({ from: 'validate.tests', commands: ['echo from validate.tests'] });
    expect(testsOf('vcat-plain')).toBeNull();
  });

  test('built image runs the Compose command', async () => {
    const rebuild = await runCli(['rebuild', '--json', '--images', 'vcat-app'], { cwd: workspace });
    expect(rebuild.code).toBe(0);
    const plan = planComposeValidation(settingsFor(repo), repo, 'vcat-app', { VCAT_MODE: 'from-shell' })!;

    const output = runPlan('drydock/vcat-app:latest', plan);

    expect(output).toBe('/src/tests\ninput from the checkout\n');
    expect(readFileSync(path.join(repo, 'out', 'result.txt'), 'utf8')).toBe('from-shell all\n');
  });

  test('drydock validate runs the Compose command', async () => {
    const rebuild = await runCli(['rebuild', '--json', '--images', 'vcat-app,vcat-lint'], { cwd: workspace });
    expect(rebuild.code).toBe(0);

    const result = await runCli(['validate', '--json'], { cwd: workspace, env: { VCAT_MODE: 'validated' } });
    const summary = JSON.parse(result.stdout) as { images: { name: string; status: string; log: string | null; commands: { command: string; status: string }[] }[] };
    const app = summary.images.find((image) => image.name === 'vcat-app')!;
    const lint = summary.images.find((image) => image.name === 'vcat-lint')!;

    expect(app.commands.map((command) => [command.command, command.status])).toEqual([
      [`sh -c 'pwd && cat ../data/input.txt && echo "$MODE $SUITE" > /src/out/result.txt'`, 'passed'],
    ]);
    expect(readFileSync(app.log!, 'utf8')).toContain('input from the checkout');
    expect(lint.commands.map((command) => command.command)).toEqual(['echo from validate.tests']);
    expect(app.status).toBe('passed');
    expect(result.code).toBe(0);
  });
});
