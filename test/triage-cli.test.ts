import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { readFingerprintMarker } from '../src/github/issue-marker.js';
import { startFakeGitHub, type FakeGitHub } from './fakes/github-server.js';
import { runCli, type CliResult } from './helpers/cli.js';
import { commitFiles, createGitRepo } from './helpers/git-repo.js';
import { BUSYBOX_IMAGE } from './helpers/images.js';

interface TriageJson {
  fingerprints: {
    id: string;
    class: string;
    classTitle: string;
    images: string[];
    firstSeen: string;
    lastSeen: string;
    count: number;
    issue: { number: number; url: string } | null;
    errorLines: string[];
    latest: { runId: string; image: string; kind: string; failedStep: string | null; explanation: string | null };
  }[];
}

/** A download from a loopback port where nothing listens: busybox wget fails with "Connection refused". */
const BROKEN_FETCH = 'echo "fetching tool 1.2.3"\nwget -q -O /tmp/tool.tgz http://127.0.0.1:9/tool-1.2.3.tgz\n';

describe('drydock rebuild and triage against a fake GitHub', () => {
  let fake: FakeGitHub;
  let workspace: string;
  let repo: string;
  let green: string;
  let broken: string;
  const nights: CliResult[] = [];

  const rebuild = (env: NodeJS.ProcessEnv = {}) =>
    runCli(['rebuild', '--json'], { cwd: workspace, env: { GITHUB_TOKEN: fake.token, GITHUB_API_URL: fake.url, ...env } });
  const triage = async () => JSON.parse((await runCli(['triage', '--json'], { cwd: workspace })).stdout) as TriageJson;

  beforeAll(async () => {
    fake = await startFakeGitHub();
    repo = createGitRepo({
      'docker/Dockerfile.tc_fetch': `FROM ${BUSYBOX_IMAGE}\nCOPY install/fetch.sh /install/fetch.sh\nRUN sh /install/fetch.sh\n`,
      'docker/Dockerfile.tc_ok': `FROM ${BUSYBOX_IMAGE}\nRUN echo fine\n`,
      'docker/install/fetch.sh': 'echo "no download yet"\n',
    });
    workspace = mkdtempSync(path.join(tmpdir(), 'drydock-triage-'));
    writeFileSync(
      path.join(workspace, 'drydock.yml'),
      `source: { repo: ${repo} }\nbuild: { pull: false }\ndashboard: { publicUrl: "https://ci.example.invalid/drydock" }\ngithub: { repo: ${fake.repo} }\n`,
    );

    nights.push(await rebuild());
    green = (await import('node:child_process')).execFileSync('git', ['-C', repo, 'rev-parse', 'HEAD'], { encoding: 'utf8' }).trim();
    broken = commitFiles(repo, { 'docker/install/fetch.sh': BROKEN_FETCH }, 'Download the tool at build time');
    nights.push(await rebuild());
    nights.push(await rebuild({ GITHUB_TOKEN: '' }));
    nights.push(await rebuild());
    nights.push(await rebuild());
  });

  afterAll(async () => {
    await fake?.stop();
    fake?.verify();
  });

  test('only the broken image fails', () => {
    expect(nights.map((night) => night.code)).toEqual([0, 1, 1, 1, 1]);
  });

  test('one fingerprint across four nights', async () => {
    const { fingerprints } = await triage();

    expect(fingerprints).toHaveLength(1);
    expect(fingerprints[0]!.images).toEqual(['tc_fetch']);
    expect(fingerprints[0]!.count).toBe(4);
    expect(fingerprints[0]!.class).toBe('network');
    expect(fingerprints[0]!.errorLines.join('\n')).toContain("can't connect to remote host (127.0.0.1): Connection refused");
    expect(fingerprints[0]!.latest.explanation).toBe("The image's inputs changed (docker/install/fetch.sh).");
  });

  test('missing GITHUB_TOKEN is named', () => {
    expect(nights[2]!.stderr).toContain('GITHUB_TOKEN is not set');
    expect(nights[1]!.stderr).not.toContain('GITHUB_TOKEN');
  });

  test('files one issue, then one comment', async () => {
    const { fingerprints } = await triage();
    const issue = fake.issues[0]!;

    expect(fake.issues).toHaveLength(1);
    expect(issue.comments).toHaveLength(1);
    expect(fake.requests.filter((request) => request.method === 'POST' && request.path.endsWith('/issues'))).toHaveLength(1);
    expect(fingerprints[0]!.issue).toEqual({ number: 1, url: `${fake.url}/${fake.repo}/issues/1` });
    expect(readFingerprintMarker(issue.body)).toBe(fingerprints[0]!.id);
    expect(issue.title).toBe('tc_fetch build failed: network or download failure');
    expect(issue.labels).toEqual(['drydock']);
    expect(issue.body).toContain(`/${fake.repo}/compare/${green}...${broken}`);
    expect(issue.body).toContain('Download the tool at build time');
    expect(issue.body).toContain('https://ci.example.invalid/drydock/runs/');
    expect(issue.body).toContain('fetching tool 1.2.3');
    fake.verify();
  });

  test('--file-issue reports a run once', async () => {
    const result = await runCli(['triage', '--file-issue', 'tc_fetch'], { cwd: workspace, env: { GITHUB_TOKEN: fake.token, GITHUB_API_URL: fake.url } });

    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toBe(`${fake.url}/${fake.repo}/issues/1`);
    expect(result.stderr).toContain('already reports this run');
    expect(fake.issues[0]!.comments).toHaveLength(1);
  });

  test('text listing shows the issue', async () => {
    const result = await runCli(['triage'], { cwd: workspace });

    expect(result.code).toBe(0);
    expect(result.stdout).toContain('network or download failure');
    expect(result.stdout).toContain('images: tc_fetch');
    expect(result.stdout).toContain('4 times');
    expect(result.stdout).toContain(`issue: ${fake.url}/${fake.repo}/issues/1`);
  });

  test('--file-issue without a token exits 2', async () => {
    const result = await runCli(['triage', '--file-issue', 'tc_fetch'], { cwd: workspace, env: { GITHUB_TOKEN: '' } });

    expect(result.code).toBe(2);
    expect(result.stderr).toContain('GITHUB_TOKEN is not set');
  });

  test('--run without --file-issue exits 2', async () => {
    const result = await runCli(['triage', '--run', 'x'], { cwd: workspace });

    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--run only applies with --file-issue');
  });
});

test('triage without a store lists nothing', async () => {
  const empty = mkdtempSync(path.join(tmpdir(), 'drydock-triage-empty-'));

  const result = await runCli(['triage', '--json', '--state-dir', path.join(empty, 'state')], { cwd: empty });

  expect(result.code).toBe(0);
  expect(JSON.parse(result.stdout)).toEqual({ fingerprints: [] });
  expect(result.stderr).toContain('No runs recorded yet');
});
