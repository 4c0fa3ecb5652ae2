import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { runCli } from './helpers/cli.js';
import { createGitRepo } from './helpers/git-repo.js';
import { BUSYBOX_IMAGE, removeImages } from './helpers/images.js';

interface ImagesJson {
  commit: string;
  images: {
    name: string;
    source: { kind: string; file: string; service?: string; index?: number };
    dockerfile: string;
    context: string;
    buildArgs: Record<string, string>;
    target: string | null;
    baseImages: string[];
    parents: string[];
    tests: Record<string, unknown> | null;
  }[];
  skipped: { service: string; file: string; reason: string }[];
  unsetVariables: string[];
}

interface RebuildJson {
  run: { status: string };
  images: { name: string; status: string; error: string | null; tags: string[] }[];
}

/** Every tag these tests create, removed at the end; the names are unique to this file. */
const CREATED_TAGS: string[] = [];

afterAll(() => {
  removeImages(CREATED_TAGS);
});

function createWorkspace(config: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'drydock-catalog-work-'));
  writeFileSync(path.join(dir, 'drydock.yml'), config);
  return dir;
}

async function listImages(workspace: string, env: NodeJS.ProcessEnv = {}): Promise<ImagesJson> {
  const result = await runCli(['images', '--json'], { cwd: workspace, env });
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  return JSON.parse(result.stdout) as ImagesJson;
}

async function rebuild(workspace: string, env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; summary: RebuildJson }> {
  const result = await runCli(['rebuild', '--json'], { cwd: workspace, env });
  const summary = JSON.parse(result.stdout) as RebuildJson;
  for (const image of summary.images) CREATED_TAGS.push(...image.tags);
  return { code: result.code, summary };
}

/** Runs `command` in a fresh container of `image` without a network and returns its output. */
function runIn(image: string, command: string): string {
  return execFileSync('docker', ['run', '--rm', '--network', 'none', image, 'sh', '-c', command], { encoding: 'utf8' });
}

function imageOf<T extends { name: string }>(images: T[], name: string): T {
  const image = images.find((entry) => entry.name === name);
  if (!image) throw new Error(`no image ${name} in ${JSON.stringify(images.map((entry) => entry.name))}`);
  return image;
}

describe('Compose catalog', () => {
  let workspace: string;
  let catalog: ImagesJson;

  beforeAll(async () => {
    const repo = createGitRepo({
      'ci/docker/compose.yml': [
        'x-build: &build',
        '  context: ../..',
        '  args: &args',
        '    BUSYBOX: ${BUSYBOX_IMAGE}',
        'services:',
        '  ccat-base:',
        '    image: ${CCAT_REGISTRY:-ccat.local}/ccat-base:${CCAT_TAG-latest}',
        '    build:',
        '      <<: *build',
        '      dockerfile: ci/docker/base.Dockerfile',
        '  ccat-child:',
        '    build:',
        '      <<: *build',
        '      dockerfile: ci/docker/child.Dockerfile',
        '      args:',
        '        <<: *args',
        '        BASE_IMAGE: ${CCAT_REGISTRY:-ccat.local}/ccat-base:${CCAT_TAG-latest}',
        '        GREETING: "costs $$5 ${CCAT_GREETING}"',
        '  ccat-db:',
        '    image: postgres:16',
        '    x-note: not an image of the catalog',
      ].join('\n'),
      'ci/docker/.env': `BUSYBOX_IMAGE=${BUSYBOX_IMAGE}\nCCAT_TAG=from-dotenv\nCCAT_GREETING="hello from \${CCAT_TAG}"\n`,
      'ci/docker/base.Dockerfile': 'ARG BUSYBOX\nFROM ${BUSYBOX}\nRUN echo base > /base.txt\n',
      'ci/docker/child.Dockerfile': 'ARG BASE_IMAGE\nFROM ${BASE_IMAGE}\nARG GREETING\nRUN cat /base.txt && echo "$GREETING" > /greeting.txt\n',
    });
    workspace = createWorkspace(`source: { repo: ${repo} }\nbuild: { pull: false }\nimages: { compose: ci/docker/compose.yml }\n`);
    catalog = await listImages(workspace);
  });

  test('lists build services in build order', () => {
    expect(catalog.images.map((image) => image.name)).toEqual(['ccat-base', 'ccat-child']);
    expect(imageOf(catalog.images, 'ccat-child').source).toEqual({ kind: 'compose', file: 'ci/docker/compose.yml', service: 'ccat-child' });
    expect(imageOf(catalog.images, 'ccat-child').dockerfile).toBe('ci/docker/child.Dockerfile');
    expect(imageOf(catalog.images, 'ccat-child').context).toBe('.');
  });

  test('interpolates from .env, merge keys and $$', () => {
    expect(imageOf(catalog.images, 'ccat-child').buildArgs).toEqual({
      BUSYBOX: BUSYBOX_IMAGE,
      BASE_IMAGE: 'ccat.local/ccat-base:from-dotenv',
      GREETING: 'costs $5 hello from from-dotenv',
    });
    expect(imageOf(catalog.images, 'ccat-base').baseImages).toEqual([BUSYBOX_IMAGE]);
  });

  test('links the child through its build arg', () => {
    const child = imageOf(catalog.images, 'ccat-child');

    expect(child.parents).toEqual(['ccat-base']);
    expect(child.baseImages).toEqual([]);
  });

  test('skips the service without build:', () => {
    expect(catalog.skipped).toEqual([
      { service: 'ccat-db', file: 'ci/docker/compose.yml', reason: 'no build: section, so drydock has nothing to build (it runs the image postgres:16)' },
    ]);
    expect(catalog.unsetVariables).toEqual([]);
  });

  test('environment wins over .env', async () => {
    const fromShell = await listImages(workspace, { CCAT_TAG: 'from-shell' });

    expect(imageOf(fromShell.images, 'ccat-child').buildArgs.BASE_IMAGE).toBe('ccat.local/ccat-base:from-shell');
    expect(imageOf(fromShell.images, 'ccat-child').parents).toEqual(['ccat-base']);
  });

  test('rebuild builds the child FROM this run\'s parent', async () => {
    const { code, summary } = await rebuild(workspace);
    CREATED_TAGS.push('ccat.local/ccat-base:from-dotenv');

    expect(summary.images.map((image) => [image.name, image.status])).toEqual([
      ['ccat-base', 'succeeded'],
      ['ccat-child', 'succeeded'],
    ]);
    expect(code).toBe(0);
    expect(runIn('drydock/ccat-child:latest', 'cat /base.txt /greeting.txt')).toBe('base\ncosts $5 hello from from-dotenv\n');
  });
});

describe('list catalog', () => {
  let workspace: string;

  beforeAll(() => {
    const repo = createGitRepo({
      'ci/flavored.Dockerfile': `FROM ${BUSYBOX_IMAGE}\nARG FLAVOR=plain\nARG LEVEL=1\nRUN echo "$FLAVOR $LEVEL" > /flavor\n`,
    });
    workspace = createWorkspace(
      [
        `source: { repo: ${repo} }`,
        'build: { pull: false }',
        'images:',
        '  list:',
        '    - { name: lcat-plain, dockerfile: ci/flavored.Dockerfile }',
        '    - { name: lcat-salty, dockerfile: ci/flavored.Dockerfile, buildArgs: { FLAVOR: salty } }',
        '    - { name: lcat-sweet, dockerfile: ci/flavored.Dockerfile, buildArgs: { FLAVOR: sweet, LEVEL: "3" } }',
        '',
      ].join('\n'),
    );
  });

  test('images --json shows three images of one Dockerfile', async () => {
    const catalog = await listImages(workspace);

    expect(catalog.images.map((image) => [image.name, image.dockerfile, image.buildArgs])).toEqual([
      ['lcat-plain', 'ci/flavored.Dockerfile', {}],
      ['lcat-salty', 'ci/flavored.Dockerfile', { FLAVOR: 'salty' }],
      ['lcat-sweet', 'ci/flavored.Dockerfile', { FLAVOR: 'sweet', LEVEL: '3' }],
    ]);
    expect(catalog.images[2]!.source).toEqual({ kind: 'list', file: 'images.list[2]', index: 2 });
  });

  test('rebuild gives each image its build args', async () => {
    const { code, summary } = await rebuild(workspace);

    expect(summary.images.map((image) => image.status)).toEqual(['succeeded', 'succeeded', 'succeeded']);
    expect(code).toBe(0);
    expect(runIn('drydock/lcat-plain:latest', 'cat /flavor')).toBe('plain 1\n');
    expect(runIn('drydock/lcat-salty:latest', 'cat /flavor')).toBe('salty 1\n');
    expect(runIn('drydock/lcat-sweet:latest', 'cat /flavor')).toBe('sweet 3\n');
  });
});

describe('dotted names', () => {
  test('*.dockerfile glob builds dotted names in order', async () => {
    const repo = createGitRepo({
      'ci/dcat.tools.dockerfile': 'ARG REPO=drydock\nARG NAME=dcat.base\nFROM ${REPO}/${NAME}:latest\nRUN cat /os > /tools\n',
      'ci/dcat.base.dockerfile': `FROM ${BUSYBOX_IMAGE}\nRUN echo dotted > /os\n`,
    });
    const workspace = createWorkspace(`source: { repo: ${repo} }\nbuild: { pull: false }\nimages: { discover: "ci/*.dockerfile" }\n`);

    const catalog = await listImages(workspace);
    const { code, summary } = await rebuild(workspace);

    expect(catalog.images.map((image) => image.name)).toEqual(['dcat.base', 'dcat.tools']);
    expect(imageOf(catalog.images, 'dcat.tools').parents).toEqual(['dcat.base']);
    expect(summary.images.map((image) => [image.name, image.status])).toEqual([
      ['dcat.base', 'succeeded'],
      ['dcat.tools', 'succeeded'],
    ]);
    expect(code).toBe(0);
    expect(runIn('drydock/dcat.tools:latest', 'cat /tools')).toBe('dotted\n');
  });

  test('invalid name exits 2 naming the file and rule', async () => {
    const repo = createGitRepo({ 'ci/Dcat_Bad.dockerfile': `FROM ${BUSYBOX_IMAGE}\n` });
    const workspace = createWorkspace(`source: { repo: ${repo} }\nbuild: { pull: false }\nimages: { discover: "ci/*.dockerfile" }\n`);

    const result = await runCli(['images', '--json'], { cwd: workspace });

    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('image name "Dcat_Bad" from ci/Dcat_Bad.dockerfile is not a valid repository name: it contains upper-case letters');
    expect(result.stderr).toContain('images.rename');
  });
});

describe('root context', () => {
  test('allow-list .dockerignore sends only ci/', async () => {
    const repo = createGitRepo({
      '.dockerignore': '*\n!ci/**\nci/**/*.tmp\n',
      'ci/rcat.Dockerfile': `FROM ${BUSYBOX_IMAGE}\nCOPY . /ctx\nRUN cd /ctx && find . -type f | sort > /listing\n`,
      'ci/install/setup.sh': 'echo setup\n',
      'ci/install/scratch.tmp': 'left out\n',
      'src/main.c': 'int main() { return 0; }\n',
      'README.md': 'left out\n',
      'secret.env': 'TOKEN=left-out\n',
    });
    const workspace = createWorkspace(
      `source: { repo: ${repo} }\nbuild: { pull: false }\nimages: { list: [{ name: rcat-root, dockerfile: ci/rcat.Dockerfile, context: . }] }\n`,
    );

    const catalog = await listImages(workspace);
    const { code, summary } = await rebuild(workspace);

    expect(catalog.images[0]!.context).toBe('.');
    expect(summary.images[0]!.status).toBe('succeeded');
    expect(code).toBe(0);
    expect(runIn('drydock/rcat-root:latest', 'cat /listing')).toBe('./ci/install/setup.sh\n./ci/rcat.Dockerfile\n');
  });
});

describe('guards', () => {
  test('missing Compose file exits 2', async () => {
    const repo = createGitRepo({ 'README.md': 'no compose here\n' });
    const workspace = createWorkspace(`source: { repo: ${repo} }\nimages: { compose: ci/compose.yml }\n`);

    const result = await runCli(['images'], { cwd: workspace });

    expect(result.code).toBe(2);
    expect(result.stderr).toContain('Compose file not found: ci/compose.yml (images.compose)');
  });

  test('malformed Compose file exits 2', async () => {
    const repo = createGitRepo({ 'compose.yaml': 'services:\n  a:\n    build: .\n  b: [\n' });
    const workspace = createWorkspace(`source: { repo: ${repo} }\nimages: { compose: compose.yaml }\n`);

    const result = await runCli(['rebuild', '--json'], { cwd: workspace });

    expect(result.code).toBe(2);
    expect(result.stderr).toContain('invalid YAML in Compose file compose.yaml');
  });

  test('unknown service in overrides exits 2', async () => {
    const repo = createGitRepo({ 'compose.yaml': 'services:\n  gcat-app:\n    build: .\n', Dockerfile: `FROM ${BUSYBOX_IMAGE}\n` });
    const workspace = createWorkspace(`source: { repo: ${repo} }\nimages: { compose: compose.yaml, overrides: { gcat-ap: { target: x } } }\n`);

    const result = await runCli(['images'], { cwd: workspace });

    expect(result.code).toBe(2);
    expect(result.stderr).toContain('images.overrides.gcat-ap names an image that was not discovered');
    expect(result.stderr).toContain('use one of: gcat-app');
  });

  test('FROM cycle exits 2', async () => {
    const repo = createGitRepo({
      'ci/one.dockerfile': 'FROM gcat-two\n',
      'ci/two.dockerfile': 'FROM drydock/gcat-one:latest\n',
    });
    const workspace = createWorkspace(`source: { repo: ${repo} }\nimages: { discover: "ci/*.dockerfile", rename: { one: gcat-one, two: gcat-two } }\n`);

    const result = await runCli(['images'], { cwd: workspace });

    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/FROM cycle: (gcat-one -> gcat-two -> gcat-one|gcat-two -> gcat-one -> gcat-two)/);
  });

  test('text output lists images and skipped services', async () => {
    const repo = createGitRepo({ 'compose.yaml': 'services:\n  gcat-app:\n    build: .\n  gcat-cache:\n    image: redis\n', Dockerfile: `FROM ${BUSYBOX_IMAGE}\n` });
    const workspace = createWorkspace(`source: { repo: ${repo} }\nimages: { compose: compose.yaml }\n`);

    const result = await runCli(['images'], { cwd: workspace });

    expect(result.code).toBe(0);
    expect(result.stdout).toContain('gcat-app  (service gcat-app in compose.yaml)');
    expect(result.stdout).toContain(`base images: ${BUSYBOX_IMAGE}`);
    expect(result.stdout).toContain('skipped service gcat-cache in compose.yaml: no build: section');
  });
});
