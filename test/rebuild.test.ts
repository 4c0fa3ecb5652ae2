import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { runCli } from './helpers/cli.js';
import { createGitRepo } from './helpers/git-repo.js';
import { BUSYBOX_IMAGE, containersMatching, imageLabels } from './helpers/images.js';
import { findFreePort, startRegistry, type TestRegistry } from './helpers/registry.js';

interface JsonImage {
  name: string;
  status: string;
  tags: string[];
  digest: string | null;
  durationMs: number | null;
  log: string | null;
  failedStep: string | null;
  error: string | null;
}
interface JsonSummary {
  run: { id: string; kind: string; status: string; commit: string; shortCommit: string; startedAt: string; finishedAt: string };
  images: JsonImage[];
}

let registry: TestRegistry;

beforeAll(async () => {
  registry = await startRegistry();
});

afterAll(async () => {
  await registry?.stop();
});

/** A working folder with a drydock.yml for the given repository. */
function createWorkspace(config: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'drydock-work-'));
  writeFileSync(path.join(dir, 'drydock.yml'), config);
  return dir;
}

function imageNamed(summary: JsonSummary, name: string): JsonImage {
  const image = summary.images.find((entry) => entry.name === name);
  if (!image) throw new Error(`no image ${name} in ${JSON.stringify(summary.images.map((entry) => entry.name))}`);
  return image;
}

describe('rebuild of a three-image set', () => {
  let summary: JsonSummary;
  let exitCode: number | null;
  let repo: string;

  beforeAll(async () => {
    repo = createGitRepo({
      'docker/Dockerfile.rb_base': `FROM ${BUSYBOX_IMAGE}\nCOPY install/base.sh /install/base.sh\nRUN sh /install/base.sh\n`,
      'docker/Dockerfile.rb_child': 'ARG BASE_IMAGE=rb_base\nFROM ${BASE_IMAGE}:latest\nRUN cat /base.txt && echo child > /child.txt\n',
      'docker/Dockerfile.rb_broken': `FROM ${BUSYBOX_IMAGE}\nRUN echo preparing\nRUN echo about to fail && exit 3\nRUN echo never reached\n`,
      'docker/install/base.sh': 'echo base > /base.txt\n',
      'docker/.dockerignore': 'secret.txt\n',
      'docker/secret.txt': 'must not reach the engine\n',
    });
    const workspace = createWorkspace(
      `source: { repo: ${repo} }\nbuild: { pull: false }\nregistry: { staging: ${registry.host}/rb }\n`,
    );

    const result = await runCli(['rebuild', '--json'], { cwd: workspace });
    exitCode = result.code;
    summary = JSON.parse(result.stdout) as JsonSummary;
  });

  test('exits 1 because one image failed', () => {
    expect(exitCode).toBe(1);
    expect(summary.run.status).toBe('failed');
    expect(summary.run.kind).toBe('rebuild');
  });

  test('pushes both tags of each good image with one digest', async () => {
    for (const name of ['rb_base', 'rb_child']) {
      const image = imageNamed(summary, name);
      const stamp = image.tags[1]!.split(':').at(-1)!;

      expect(image.status).toBe('succeeded');
      expect(await registry.listTags(`rb/${name}`)).toEqual([stamp, 'latest'].sort());
      expect(await registry.manifestDigest(`rb/${name}`, 'latest')).toBe(image.digest);
      expect(await registry.manifestDigest(`rb/${name}`, stamp)).toBe(image.digest);
    }
  });

  test('timestamp tag holds the run start and short commit', () => {
    const tags = imageNamed(summary, 'rb_base').tags;
    const expectedStamp = summary.run.startedAt.slice(0, 19).replace(/[-T:]/g, '-');

    expect(tags[0]).toBe(`${registry.host}/rb/rb_base:latest`);
    expect(tags[1]).toBe(`${registry.host}/rb/rb_base:${expectedStamp}-${summary.run.shortCommit}`);
  });

  test('labels the image with revision, source, creation and run id', () => {
    const labels = imageLabels(imageNamed(summary, 'rb_child').tags[0]!);

    expect(labels['org.opencontainers.image.revision']).toBe(summary.run.commit);
    expect(labels['org.opencontainers.image.source']).toBe(repo);
    expect(labels['org.opencontainers.image.created']).toBe(summary.run.startedAt);
    expect(labels['drydock.run-id']).toBe(summary.run.id);
  });

  test('builds the child after its parent, from this run', () => {
    const parentLog = readFileSync(imageNamed(summary, 'rb_base').log!, 'utf8');
    const childLog = readFileSync(imageNamed(summary, 'rb_child').log!, 'utf8');
    const parentFinished = /^(\S+) \[drydock\] finished: succeeded/m.exec(parentLog)?.[1];
    const childStarted = /^(\S+) /.exec(childLog)?.[1];

    expect(parentFinished).toBeDefined();
    expect(childStarted! >= parentFinished!).toBe(true);
    expect(childLog).toContain('base');
  });

  test('names the failing step in the JSON and the log', async () => {
    const broken = imageNamed(summary, 'rb_broken');
    const log = readFileSync(broken.log!, 'utf8');

    expect(broken.status).toBe('failed');
    expect(broken.failedStep).toMatch(/^Step 3\/\d+ : RUN echo about to fail && exit 3$/);
    expect(broken.error).toContain('returned a non-zero code: 3');
    expect(log).toContain('about to fail');
    expect(log).not.toContain('never reached\n');
    expect(await registry.listTags('rb/rb_broken')).toEqual([]);
  });

  test('failed build leaves no step images', () => {
    const log = readFileSync(imageNamed(summary, 'rb_broken').log!, 'utf8');
    const stepImages = [...log.matchAll(/Z  ---> ([0-9a-f]{12})$/gm)].map((match) => match[1]!);
    const exists = (reference: string) => {
      try {
        execFileSync('docker', ['image', 'inspect', reference], { stdio: 'ignore' });
        return true;
      } catch {
        return false;
      }
    };

    // The first line names the base image (FROM), and the last names the image of the step before the failure.
    expect(stepImages.length).toBe(2);
    expect(exists(stepImages[1]!)).toBe(false);
    expect(exists(BUSYBOX_IMAGE)).toBe(true);
    expect(log).toContain('removed the untagged images of the steps that succeeded');
  });

  test('prefixes every log line with a UTC timestamp', () => {
    const lines = readFileSync(imageNamed(summary, 'rb_base').log!, 'utf8').trimEnd().split('\n');

    expect(lines.length).toBeGreaterThan(3);
    for (const line of lines) expect(line).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z /);
  });

  test('leaves .dockerignore entries out of the context', async () => {
    const check = createGitRepo({
      'docker/Dockerfile.rb_ignore': `FROM ${BUSYBOX_IMAGE}\nCOPY . /ctx\nRUN test ! -e /ctx/secret.txt && test -e /ctx/kept.txt\n`,
      'docker/.dockerignore': 'secret.txt\n',
      'docker/secret.txt': 'hidden\n',
      'docker/kept.txt': 'kept\n',
    });
    const workspace = createWorkspace(`source: { repo: ${check} }\nbuild: { pull: false }\n`);

    const result = await runCli(['rebuild', '--json'], { cwd: workspace });

    expect(result.stderr).toContain('not pushed');
    expect((JSON.parse(result.stdout) as JsonSummary).images[0]!.status).toBe('succeeded');
    expect(result.code).toBe(0);
  });
});

test('child of a failed parent is skipped with the reason', async () => {
  const repo = createGitRepo({
    'docker/Dockerfile.sk_base': `FROM ${BUSYBOX_IMAGE}\nRUN exit 1\n`,
    'docker/Dockerfile.sk_child': 'FROM sk_base\nRUN true\n',
  });
  const workspace = createWorkspace(`source: { repo: ${repo} }\nbuild: { pull: false }\n`);

  const result = await runCli(['rebuild', '--json'], { cwd: workspace });
  const child = imageNamed(JSON.parse(result.stdout) as JsonSummary, 'sk_child');

  expect(result.code).toBe(1);
  expect(child.status).toBe('skipped');
  expect(child.error).toBe('skipped because its parent image sk_base failed');
});

test('parent found through a build argument and the staging name', async () => {
  const repo = createGitRepo({
    'docker/Dockerfile.ba_base': `FROM ${BUSYBOX_IMAGE}\nRUN echo from-base > /marker\n`,
    'docker/Dockerfile.ba_child': 'ARG BASE\nFROM ${BASE}\nRUN grep from-base /marker\n',
  });
  const workspace = createWorkspace(
    [
      `source: { repo: ${repo} }`,
      'build: { pull: false }',
      `registry: { staging: ${registry.host}/ba }`,
      `images: { overrides: { ba_child: { buildArgs: { BASE: "${registry.host}/ba/ba_base:latest" } } } }`,
      '',
    ].join('\n'),
  );

  const result = await runCli(['rebuild', '--json'], { cwd: workspace });
  const summary = JSON.parse(result.stdout) as JsonSummary;

  expect(result.code).toBe(0);
  expect(summary.images.map((image) => image.name)).toEqual(['ba_base', 'ba_child']);
});

test('next build overlaps the previous push', async () => {
  const payload = 'RUN head -c 3000000 /dev/urandom > /payload\n';
  const repo = createGitRepo({
    'docker/Dockerfile.ov_first': `FROM ${BUSYBOX_IMAGE}\n${payload}`,
    'docker/Dockerfile.ov_second': `FROM ${BUSYBOX_IMAGE}\n${payload}`,
  });
  const workspace = createWorkspace(`source: { repo: ${repo} }\nbuild: { pull: false }\nregistry: { staging: ${registry.host}/ov }\n`);

  const result = await runCli(['rebuild', '--json'], { cwd: workspace });
  const summary = JSON.parse(result.stdout) as JsonSummary;
  const [first, second] = ['ov_first', 'ov_second']
    .map((name) => readFileSync(imageNamed(summary, name).log!, 'utf8').trim().split('\n'))
    .sort((a, b) => a[0]!.localeCompare(b[0]!));
  const timeOf = (line: string) => Date.parse(line.slice(0, line.indexOf(' ')));

  expect(result.code).toBe(0);
  // One slot: the second image starts building while the first is still pushing.
  expect(timeOf(second![0]!)).toBeLessThan(timeOf(first!.at(-1)!));
});

test('unreachable registry fails the image and names the registry', async () => {
  const port = await findFreePort();
  const repo = createGitRepo({ 'docker/Dockerfile.ur_one': `FROM ${BUSYBOX_IMAGE}\nRUN true\n` });
  const workspace = createWorkspace(
    `source: { repo: ${repo} }\nbuild: { pull: false }\nregistry: { staging: 127.0.0.1:${port}/ur, pushRetries: 1 }\n`,
  );

  const result = await runCli(['rebuild', '--json'], { cwd: workspace });
  const image = (JSON.parse(result.stdout) as JsonSummary).images[0]!;
  const log = readFileSync(image.log!, 'utf8');

  expect(result.code).toBe(1);
  expect(image.status).toBe('failed');
  expect(image.error).toContain(`push to 127.0.0.1:${port} failed`);
  expect(log).toContain('attempt 2 of 2');
});

test('build timeout aborts the build and fails the image', async () => {
  const repo = createGitRepo({ 'docker/Dockerfile.to_slow': `FROM ${BUSYBOX_IMAGE}\nRUN echo started && sleep 60\n` });
  const workspace = createWorkspace(
    `source: { repo: ${repo} }\nbuild: { pull: false }\nimages: { overrides: { to_slow: { timeoutMinutes: 0.05 } } }\n`,
  );

  const started = Date.now();
  const result = await runCli(['rebuild', '--json'], { cwd: workspace });
  const image = (JSON.parse(result.stdout) as JsonSummary).images[0]!;

  expect(result.code).toBe(1);
  expect(image.status).toBe('failed');
  expect(image.error).toBe('build timed out after 0.05 minutes');
  expect(image.failedStep).toMatch(/RUN echo started && sleep 60/);
  expect(Date.now() - started).toBeLessThan(30_000);
  await expect.poll(() => containersMatching('sleep 60'), { timeout: 15_000 }).toEqual([]);
});

test('unreachable engine names DOCKER_HOST', async () => {
  const repo = createGitRepo({ 'docker/Dockerfile.ue_one': `FROM ${BUSYBOX_IMAGE}\n` });
  const workspace = createWorkspace(`source: { repo: ${repo} }\n`);

  const result = await runCli(['rebuild'], { cwd: workspace, env: { DOCKER_HOST: `unix://${workspace}/missing.sock` } });

  expect(result.code).toBe(1);
  expect(result.stderr).toContain(`Docker engine at unix://${workspace}/missing.sock is unreachable`);
  expect(result.stderr).toContain('set DOCKER_HOST');
});

test('state directory keeps the store and logs', async () => {
  const repo = createGitRepo({ 'docker/Dockerfile.sd_one': `FROM ${BUSYBOX_IMAGE}\nRUN true\n` });
  const workspace = createWorkspace(`source: { repo: ${repo} }\nbuild: { pull: false }\n`);

  const result = await runCli(['rebuild', '--json', '--state-dir', 'elsewhere'], { cwd: workspace });
  const summary = JSON.parse(result.stdout) as JsonSummary;

  expect(result.code).toBe(0);
  expect(existsSync(path.join(workspace, 'elsewhere', 'drydock.db'))).toBe(true);
  expect(summary.images[0]!.log).toBe(path.join(workspace, 'elsewhere', 'logs', summary.run.id, 'sd_one.build.log'));
});
