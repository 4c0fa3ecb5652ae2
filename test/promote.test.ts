import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startFakeGitHub, type FakeGitHub } from './fakes/github-server.js';
import { runCli } from './helpers/cli.js';
import { createGitRepo } from './helpers/git-repo.js';
import { BUSYBOX_IMAGE, removeImages } from './helpers/images.js';
import { startRegistry, type TestRegistry } from './helpers/registry.js';

const PRODUCTION_USER = 'promoter';
const PRODUCTION_PASSWORD = 'correct-horse-battery';
const INI_PATH = 'ci/jenkins/docker-images.ini';

let staging: TestRegistry;
let production: TestRegistry;
let github: FakeGitHub;
let workspace: string;
let env: Record<string, string>;
let tag: string;
let iniBefore: string;

interface PromotionJson {
  outcome: string;
  digest: string;
  production: string[];
  forced: boolean;
  overridden: string[];
  checks: { name: string; passed: boolean; detail: string }[];
  pullRequest: { status: string; outcome?: { action: string; number: number } };
}

function query<T>(sql: string): T[] {
  const db = new Database(path.join(workspace, '.drydock', 'drydock.db'), { readonly: true });
  try {
    return db.prepare(sql).all() as T[];
  } finally {
    db.close();
  }
}

function promoteCli(args: string[], extraEnv: Record<string, string> = {}) {
  return runCli(['promote', ...args], { cwd: workspace, env: { ...env, ...extraEnv } });
}

beforeAll(async () => {
  const htpasswd = execFileSync('htpasswd', ['-Bbn', PRODUCTION_USER, PRODUCTION_PASSWORD], { encoding: 'utf8' });
  staging = await startRegistry();
  production = await startRegistry({ htpasswd, username: PRODUCTION_USER, password: PRODUCTION_PASSWORD });
  github = await startFakeGitHub({ repo: 'octo-org/ci-config' });

  iniBefore = [
    '[jenkins]',
    'ci_arm = tlcpack/ci-arm:20221025-182121-e41d0ed6e',
    `pm_good = ${production.host}/prod/pm-good:20240101-000000-0000000`,
    `pm_red = ${production.host}/prod/pm-red:20240101-000000-0000000`,
    'ci_lint = tlcpack/ci-lint:20221025-182121-e41d0ed6e',
    '',
  ].join('\n');
  github.commitFiles('main', { [INI_PATH]: iniBefore, 'README.md': 'config\n' });

  const repo = createGitRepo({
    'docker/Dockerfile.pm_good': `FROM ${BUSYBOX_IMAGE}\nRUN echo good > /good.txt\n`,
    'docker/Dockerfile.pm_red': `FROM ${BUSYBOX_IMAGE}\nRUN echo red > /red.txt\n`,
  });
  workspace = mkdtempSync(path.join(tmpdir(), 'drydock-promote-'));
  writeFileSync(
    path.join(workspace, 'drydock.yml'),
    [
      `source: { repo: ${repo} }`,
      'build: { pull: false }',
      `registry: { staging: ${staging.host}/stage }`,
      'validate:',
      '  tests:',
      '    pm_good: ["cat /good.txt"]',
      '    pm_red: ["cat /missing.txt"]',
      `production: { registry: ${production.host}/prod, nameStyle: hyphen }`,
      'github: { repo: octo-org/ci-config }',
      'promote:',
      '  extraTags: [latest]',
      '  pullRequest:',
      `    path: ${INI_PATH}`,
      '    pattern: "^{image}\\\\s*=\\\\s*{repository}:(?<tag>\\\\S+)$"',
      '',
    ].join('\n'),
  );
  env = {
    DRYDOCK_PRODUCTION_REGISTRY_USERNAME: PRODUCTION_USER,
    DRYDOCK_PRODUCTION_REGISTRY_PASSWORD: PRODUCTION_PASSWORD,
    GITHUB_TOKEN: github.token,
    GITHUB_API_URL: github.url,
  };

  const rebuild = await runCli(['rebuild', '--json'], { cwd: workspace, env });
  expect(rebuild.code, rebuild.stderr).toBe(0);
  const summary = JSON.parse(rebuild.stdout) as { images: { name: string; tags: string[] }[] };
  tag = summary.images[0]!.tags.map((reference) => reference.slice(reference.lastIndexOf(':') + 1)).find((name) => name !== 'latest')!;
  const validate = await runCli(['validate', '--images', 'pm_good', '--json'], { cwd: workspace, env });
  expect(validate.code, validate.stderr).toBe(0);
});

afterAll(async () => {
  await staging?.stop();
  await production?.stop();
  await github?.stop();
  removeImages([`${staging?.host}/stage/pm_good:foreign`]);
});

describe('drydock promote guards', () => {
  test('unknown image is a usage error', async () => {
    const result = await promoteCli(['pm_nothing', '--tag', tag]);

    expect(result.code).toBe(2);
    expect(result.stderr).toContain('no image is named pm_nothing');
    expect(result.stderr).toContain('pm_good, pm_red');
  });

  test('malformed tag is a usage error', async () => {
    const result = await promoteCli(['pm_good', '--tag', '-bad:tag']);

    expect(result.code).toBe(2);
    expect(result.stderr).toContain('is not a valid Docker tag');
  });

  test('tag missing from staging names real tags', async () => {
    const result = await promoteCli(['pm_good', '--tag', '2020-01-01-00-00-00-deadbee']);

    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`the staging registry has no ${staging.host}/stage/pm_good:2020-01-01-00-00-00-deadbee`);
    expect(result.stderr).toContain(tag);
  });

  test('missing production config is a usage error', async () => {
    const other = mkdtempSync(path.join(tmpdir(), 'drydock-promote-noprod-'));
    writeFileSync(path.join(other, 'drydock.yml'), `registry: { staging: ${staging.host}/stage }\nstate: { dir: ${path.join(workspace, '.drydock')} }\n`);

    const result = await runCli(['promote', 'pm_good', '--tag', tag], { cwd: other, env });

    expect(result.code).toBe(2);
    expect(result.stderr).toContain('no production registry is configured');
    expect(result.stderr).toContain('production.registry');
  });

  test('unvalidated tag is refused and changes nothing', async () => {
    const result = await promoteCli(['pm_red', '--tag', tag]);

    expect(result.code).toBe(2);
    expect(result.stderr).toContain('not validated green (never validated');
    expect(result.stderr).toContain('--force');
    expect(await production.listTags('prod/pm-red')).toEqual([]);
    const rows = query<{ outcome: string; forced: number }>("SELECT outcome, forced FROM promotions WHERE image = 'pm_red'");
    expect(rows).toEqual([{ outcome: 'refused', forced: 0 }]);
    expect(github.requests).toEqual([]);
  });

  test('image not built by drydock is refused', async () => {
    const foreign = `${staging.host}/stage/pm_good:foreign`;
    execFileSync('docker', ['tag', BUSYBOX_IMAGE, foreign]);
    execFileSync('docker', ['push', foreign], { stdio: 'ignore' });

    const result = await promoteCli(['pm_good', '--tag', 'foreign', '--json']);

    expect(result.code).toBe(2);
    const json = JSON.parse(result.stdout) as PromotionJson;
    expect(json.outcome).toBe('refused');
    expect(json.checks[0]).toMatchObject({ name: 'built-by-drydock', passed: false });
    expect(json.checks[0]!.detail).toContain('no drydock.run-id label');
    expect(await production.listTags('prod/pm-good')).toEqual([]);
  });

  test('wrong production password names the variables', async () => {
    const result = await promoteCli(['pm_good', '--tag', tag], { DRYDOCK_PRODUCTION_REGISTRY_PASSWORD: 'wrong-password' });

    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`production registry ${production.host} rejected`);
    expect(result.stderr).toContain('DRYDOCK_PRODUCTION_REGISTRY_USERNAME and DRYDOCK_PRODUCTION_REGISTRY_PASSWORD');
    expect(await production.listTags('prod/pm-good')).toEqual([]);
  });

  test('missing production credentials say what to set', async () => {
    const result = await promoteCli(['pm_good', '--tag', tag], { DRYDOCK_PRODUCTION_REGISTRY_USERNAME: '', DRYDOCK_PRODUCTION_REGISTRY_PASSWORD: '', DOCKER_CONFIG: workspace });

    expect(result.code).toBe(1);
    expect(result.stderr).toContain('requires a user name and password');
    expect(result.stderr).toContain('DRYDOCK_PRODUCTION_REGISTRY_PASSWORD');
  });
});

describe('drydock promote of a validated tag', () => {
  test('dry run changes nothing', async () => {
    const requestsBefore = github.requests.length;
    const rowsBefore = query<{ id: number }>('SELECT id FROM promotions').length;

    const result = await promoteCli(['pm_good', '--tag', tag, '--dry-run', '--json']);

    expect(result.code, result.stderr).toBe(0);
    const json = JSON.parse(result.stdout) as PromotionJson;
    expect(json.outcome).toBe('dry-run');
    expect(json.production).toEqual([`${production.host}/prod/pm-good:${tag}`, `${production.host}/prod/pm-good:latest`]);
    expect(result.stderr).toContain('dry run: nothing was changed');
    expect(await production.listTags('prod/pm-good')).toEqual([]);
    expect(query<{ id: number }>('SELECT id FROM promotions')).toHaveLength(rowsBefore);
    expect(github.requests).toHaveLength(requestsBefore);
  });

  test('promotion copies the exact digest', async () => {
    const stagingDigest = await staging.manifestDigest('stage/pm_good', tag);

    const result = await promoteCli(['pm_good', '--tag', tag, '--json']);

    expect(result.code, result.stderr).toBe(0);
    const json = JSON.parse(result.stdout) as PromotionJson;
    expect(json.outcome).toBe('promoted');
    expect(json.digest).toBe(stagingDigest);
    expect(await production.listTags('prod/pm-good')).toEqual([tag, 'latest'].sort());
    expect(await production.manifestDigest('prod/pm-good', tag)).toBe(stagingDigest);
    expect(await production.manifestDigest('prod/pm-good', 'latest')).toBe(stagingDigest);
  });

  test('promotion is recorded with an audit entry', () => {
    const rows = query<{ outcome: string; requested_by: string; trigger: string; digest: string; forced: number; production_references: string }>(
      "SELECT * FROM promotions WHERE image = 'pm_good' AND outcome = 'promoted'",
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]!.trigger).toBe('cli');
    expect(rows[0]!.requested_by).not.toBe('');
    expect(rows[0]!.forced).toBe(0);
    expect(JSON.parse(rows[0]!.production_references)).toContain(`${production.host}/prod/pm-good:${tag}`);

    const audit = query<{ action: string; subject: string; outcome: string }>("SELECT action, subject, outcome FROM audit_log WHERE outcome = 'promoted'");
    expect(audit).toEqual([{ action: 'promote', subject: `${staging.host}/stage/pm_good:${tag}`, outcome: 'promoted' }]);
  });

  test('bump pull request changes one line', () => {
    expect(github.pulls).toHaveLength(1);
    const pull = github.pulls[0]!;
    expect(pull).toMatchObject({ state: 'open', base: 'main', head: 'drydock/bump-image-tags', title: `Bump pm_good to ${tag}` });

    const after = github.readFile('drydock/bump-image-tags', INI_PATH)!;
    const expected = iniBefore.replace(`pm-good:20240101-000000-0000000`, `pm-good:${tag}`);
    expect(after).toBe(expected);
    expect(github.readFile('main', INI_PATH)).toBe(iniBefore);
    expect(pull.body).toContain(`+ pm_good = ${production.host}/prod/pm-good:${tag}`);
  });

  test('forced promotion is recorded and updates the pull request', async () => {
    const result = await promoteCli(['pm_red', '--tag', tag, '--force', '--as', 'forced-1', '--json']);

    expect(result.code, result.stderr).toBe(0);
    const json = JSON.parse(result.stdout) as PromotionJson;
    expect(json.forced).toBe(true);
    expect(json.overridden).toHaveLength(1);
    expect(json.overridden[0]).toContain('validated: never validated');
    expect(await production.manifestDigest('prod/pm-red', 'forced-1')).toBe(await staging.manifestDigest('stage/pm_red', tag));

    const rows = query<{ forced: number; overridden: string }>("SELECT forced, overridden FROM promotions WHERE image = 'pm_red' AND outcome = 'promoted'");
    expect(rows).toHaveLength(1);
    expect(rows[0]!.forced).toBe(1);
    expect(JSON.parse(rows[0]!.overridden)).toEqual(json.overridden);

    expect(json.pullRequest).toMatchObject({ status: 'done', outcome: { action: 'updated', number: github.pulls[0]!.number } });
    expect(github.pulls).toHaveLength(1);
    const expected = iniBefore
      .replace(`pm-good:20240101-000000-0000000`, `pm-good:${tag}`)
      .replace(`pm-red:20240101-000000-0000000`, 'pm-red:forced-1');
    expect(github.readFile('drydock/bump-image-tags', INI_PATH)).toBe(expected);
    expect(github.pulls[0]!.title).toBe('Bump 2 CI image tags');
  });

  test('same promotion again leaves the pull request', async () => {
    const commits = github.git.commits.size;

    const result = await promoteCli(['pm_good', '--tag', tag, '--json']);

    expect(result.code, result.stderr).toBe(0);
    const json = JSON.parse(result.stdout) as PromotionJson;
    expect(json.pullRequest).toMatchObject({ status: 'done', outcome: { action: 'unchanged' } });
    expect(github.git.commits.size).toBe(commits);
    expect(github.pulls).toHaveLength(1);
    github.verify();
  });
});
