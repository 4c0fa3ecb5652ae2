import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect, test } from 'vitest';
import { redactDeep, redactSecrets, secretValues } from '../src/secrets.js';
import { runCli } from './helpers/cli.js';
import { createGitRepo } from './helpers/git-repo.js';
import { BUSYBOX_IMAGE } from './helpers/images.js';

const GITHUB_TOKEN = `ghp_${'A1b2C3d4E5'.repeat(4)}`;

test.each([
  ['GitHub classic token', `token ${GITHUB_TOKEN} used`, 'token [redacted] used'],
  ['GitHub fine-grained token', `github_pat_${'x1Y2'.repeat(10)} end`, '[redacted] end'],
  ['Discord bot token', 'MTA4NzY1NDMyMTA5ODc2NTQzMg.GhJkLm.abcdefghijklmnopqrstuvwxyz0123456789AB', '[redacted]'],
  ['JSON Web Token', 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTYifQ.c2lnbmF0dXJlLWJ5dGVz', '[redacted]'],
  ['AWS key id', 'key AKIAABCDEFGHIJKLMNOP here', 'key [redacted] here'],
  ['bearer header', 'Authorization: Bearer s3cr3t-value', 'Authorization: Bearer [redacted]'],
  ['basic header', 'authorization=basic dXNlcjpwYXNz', 'authorization=basic [redacted]'],
  ['URL password', 'git clone https://bot:hunter22@git.example.invalid/repo.git', 'git clone https://bot:[redacted]@git.example.invalid/repo.git'],
])('%s is redacted', (_, input, expected) => {
  expect(redactSecrets(input, [])).toBe(expected);
});

test.each([
  'Step 3/8 : RUN apt-get install -y python3-pip=23.0.1+dfsg-1',
  'sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08',
  'Successfully installed torch-2.1.0+cpu.cxx11.abi numpy-1.26.4',
  ' ---> Running in 1494b1df4f29',
  'https://deb.debian.org/debian bookworm/main amd64 Packages',
  'ERROR: file:///tmp/x.whl is not a supported wheel on this platform',
])('ordinary build line %j is kept', (line) => {
  expect(redactSecrets(line, [])).toBe(line);
});

test('environment secrets are found by name', () => {
  const values = secretValues({ GITHUB_TOKEN: 'gh-value', DRYDOCK_REGISTRY_PASSWORD: 'pw-value', AWS_SECRET_ACCESS_KEY: 'aws-value', HOME: '/root', DISCORD_API_URL: 'http://127.0.0.1' });

  expect(values.sort()).toEqual(['aws-value', 'gh-value', 'pw-value']);
});

test('structured fields are redacted deeply', () => {
  expect(redactDeep({ a: ['x s3cret-val y', { b: 's3cret-val' }], n: 3 }, ['s3cret-val'])).toEqual({ a: ['x [redacted] y', { b: '[redacted]' }], n: 3 });
});

test('secret printed by a build reaches no output', async () => {
  const registryPassword = 'pw-Zq81-never-shown';
  const repo = createGitRepo({
    'docker/Dockerfile.sc_leak': `FROM ${BUSYBOX_IMAGE}\nARG LEAK\nRUN echo "token=$LEAK and ${GITHUB_TOKEN}" && exit 1\n`,
  });
  const workspace = mkdtempSync(path.join(tmpdir(), 'drydock-work-'));
  writeFileSync(
    path.join(workspace, 'drydock.yml'),
    `source: { repo: ${repo} }\nbuild: { pull: false }\nimages: { overrides: { sc_leak: { buildArgs: { LEAK: ${registryPassword} } } } }\n`,
  );

  const result = await runCli(['rebuild', '--json'], {
    cwd: workspace,
    env: { DRYDOCK_REGISTRY_PASSWORD: registryPassword, DRYDOCK_LOG_LEVEL: 'debug' },
  });
  const image = (JSON.parse(result.stdout) as { images: { log: string; error: string }[] }).images[0]!;
  const log = readFileSync(image.log, 'utf8');

  expect(result.code).toBe(1);
  expect(log).toContain('token=[redacted] and [redacted]');
  for (const output of [log, result.stdout, result.stderr]) {
    expect(output).not.toContain(registryPassword);
    expect(output).not.toContain(GITHUB_TOKEN);
  }
});
