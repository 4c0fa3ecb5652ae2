import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect, test } from 'vitest';
import { parseImageNames } from '../src/cli/image-list.js';
import { readEnv } from '../src/config/env.js';
import { loadSettings } from '../src/config/load-config.js';
import { ConfigError } from '../src/errors.js';
import { selectRebuildRun } from '../src/pipeline/validate.js';
import { validateRef } from '../src/source/ref.js';
import { Store } from '../src/store/store.js';
import { ValidateStore } from '../src/store/validate-store.js';

/** A small deterministic generator (mulberry32), so a failing case can be replayed from its seed. */
function createRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let value = Math.imul(state ^ (state >>> 15), 1 | state);
    value = (value + Math.imul(value ^ (value >>> 7), 61 | value)) ^ value;
    return ((value ^ (value >>> 14)) >>> 0) / 4294967296;
  };
}

const HOSTILE = [
  '', ' ', '-', '--', '--upload-pack=touch /tmp/pwned', '-c core.sshCommand=evil', '../../etc/passwd', '..', '@{-1}', 'HEAD~1', 'main^{}',
  'a'.repeat(10_000), '\u0000', '\u0007bell', 'line\nbreak', 'tab\there', '$(reboot)', '`id`', '; rm -rf /', '|| true', '${HOME}',
  '\u202Eevil', 'ünïcödé', '🚢', 'x'.repeat(129), '\\', '"', "'", '%00', '%2e%2e%2f', 'refs/heads/../../x', 'a.lock', '.hidden',
  '{}', '[]', 'null', '*', '?', '[a-z]', '~', ':', 'C:\\Windows', 'http://169.254.169.254.invalid/latest', 'ci_cpu,,ci_gpu', ',,,',
];

function randomString(random: () => number): string {
  const pick = random();
  if (pick < 0.3) return HOSTILE[Math.floor(random() * HOSTILE.length)]!;
  const length = Math.floor(random() * (pick < 0.9 ? 40 : 3000));
  let text = '';
  for (let index = 0; index < length; index++) {
    const kind = random();
    // Mostly printable ASCII, with control characters, far Unicode and lone surrogates mixed in.
    const code = kind < 0.8 ? 32 + Math.floor(random() * 95) : kind < 0.9 ? Math.floor(random() * 32) : kind < 0.97 ? 0x80 + Math.floor(random() * 0x2000) : 0xd800 + Math.floor(random() * 0x800);
    text += String.fromCharCode(code);
  }
  return text;
}

const CASES = 1500;

test('ref validation rejects cleanly or agrees with git', () => {
  const random = createRandom(1);
  let checkedWithGit = 0;
  for (let index = 0; index < CASES; index++) {
    const ref = randomString(random);
    let accepted = true;
    try {
      validateRef(ref);
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).message).toContain('is not a valid git ref');
      accepted = false;
    }
    if (!accepted || ref.includes('\u0000') || checkedWithGit >= 150) continue;

    // Every ref drydock accepts must also be one git accepts as a branch name.
    checkedWithGit++;
    expect(() => execFileSync('git', ['check-ref-format', '--branch', ref], { stdio: 'ignore' }), `ref ${JSON.stringify(ref)}`).not.toThrow();
  }
});

test('config loader rejects hostile files cleanly', () => {
  const random = createRandom(2);
  const dir = mkdtempSync(path.join(tmpdir(), 'drydock-fuzz-'));
  const file = path.join(dir, 'drydock.yml');
  const keys = ['source', 'repo', 'ref', 'images', 'discover', 'overrides', 'build', 'noCache', 'registry', 'staging', 'state', 'dir', 'engines', 'validate', 'tests', 'discord', 'github'];
  const templates = [
    () => randomString(random),
    () => `${keys[Math.floor(random() * keys.length)]}: ${JSON.stringify(randomString(random))}\n`,
    () => `source: { repo: ${JSON.stringify(randomString(random))}, ref: ${JSON.stringify(randomString(random))} }\n`,
    () => `registry: { staging: ${JSON.stringify(randomString(random))} }\n`,
    () => `images: { overrides: { ${JSON.stringify(randomString(random))}: { buildArgs: { A: ${JSON.stringify(randomString(random))} } } } }\n`,
    () => `engines: [{ name: ${JSON.stringify(randomString(random))}, host: ${JSON.stringify(randomString(random))} }]\n`,
    // An alias bomb: each level doubles the size of the document it expands to.
    () => `a: &a ["x","x"]\n${Array.from({ length: 30 }, (_, level) => `l${level}: &l${level} [*${level === 0 ? 'a' : `l${level - 1}`}, *${level === 0 ? 'a' : `l${level - 1}`}]`).join('\n')}\n`,
  ];

  for (let index = 0; index < CASES; index++) {
    writeFileSync(file, templates[Math.floor(random() * templates.length)]!());
    try {
      loadSettings({ config: file }, readEnv({}), dir);
    } catch (error) {
      expect(error, `config ${index}`).toBeInstanceOf(ConfigError);
    }
  }
});

test('flags with hostile values are rejected cleanly', () => {
  const random = createRandom(3);
  const dir = mkdtempSync(path.join(tmpdir(), 'drydock-fuzz-'));
  for (let index = 0; index < CASES; index++) {
    const value = randomString(random);
    const flag = (['ref', 'registry', 'repo', 'stateDir'] as const)[index % 4]!;
    try {
      loadSettings({ [flag]: value }, readEnv({}), dir);
    } catch (error) {
      expect(error, `--${flag} ${JSON.stringify(value)}`).toBeInstanceOf(ConfigError);
    }
    try {
      const names = parseImageNames(value);
      for (const name of names ?? []) expect(name.trim()).toBe(name);
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
    }
  }
});

test('validate tag and run choices are rejected cleanly', () => {
  const random = createRandom(4);
  const dir = mkdtempSync(path.join(tmpdir(), 'drydock-fuzz-'));
  const store = Store.open(path.join(dir, 'drydock.db'));
  const validations = new ValidateStore(store.db);
  try {
    for (let index = 0; index < 500; index++) {
      const value = randomString(random);
      for (const choice of [{ tag: value }, { runId: value }]) {
        expect(() => selectRebuildRun(store, validations, choice), JSON.stringify(choice)).toThrow(ConfigError);
      }
    }
  } finally {
    store.close();
  }
});

test('Compose alias bomb is rejected cleanly', async () => {
  const { readComposeFile } = await import('../src/catalog/compose/compose-file.js');
  const dir = mkdtempSync(path.join(tmpdir(), 'drydock-fuzz-'));
  const file = path.join(dir, 'compose.yaml');
  const levels = Array.from({ length: 30 }, (_, level) => `x-l${level}: &l${level} [*${level === 0 ? 'a' : `l${level - 1}`}, *${level === 0 ? 'a' : `l${level - 1}`}]`);
  writeFileSync(file, `x-a: &a ["x","x"]\n${levels.join('\n')}\nservices: { app: { build: . } }\n`);

  expect(() => readComposeFile(file, 'compose.yaml', {})).toThrow(ConfigError);
  expect(() => readComposeFile(file, 'compose.yaml', {})).toThrow(/invalid YAML in Compose file compose.yaml/);
});
