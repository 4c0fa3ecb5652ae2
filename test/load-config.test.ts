import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { readEnv } from '../src/config/env.js';
import { loadSettings, type ConfigFlags, type Settings } from '../src/config/load-config.js';
import { ConfigError } from '../src/errors.js';

/** Creates a temporary folder, with a `drydock.yml` holding `yaml` when given. */
function makeDir(yaml?: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'drydock-config-'));
  if (yaml !== undefined) writeFileSync(path.join(dir, 'drydock.yml'), yaml);
  return dir;
}

/** Runs loadSettings and returns the ConfigError it throws, failing the test when it does not. */
function configErrorOf(flags: ConfigFlags, env: Record<string, string>, cwd: string): ConfigError {
  let settings: Settings | undefined;
  try {
    settings = loadSettings(flags, readEnv(env), cwd);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error(`expected a ConfigError, got settings ${JSON.stringify(settings)}`);
}

describe('defaults', () => {
  test('no config file uses defaults', () => {
    const cwd = makeDir();

    const settings = loadSettings({}, readEnv({}), cwd);

    expect(settings.configPath).toBeUndefined();
    expect(settings.source.repo).toBe(cwd);
    expect(settings.source.ref).toBeUndefined();
    expect(settings.stateDir).toBe(path.join(cwd, '.drydock'));
    expect(settings.images.discover).toBeUndefined();
    expect(settings.images.exclude).toEqual([]);
    expect(settings.images.overrides).toEqual({});
    expect(settings.build.noCache).toBe(true);
    expect(settings.build.pull).toBe(true);
    expect(settings.build.network).toBeUndefined();
    expect(settings.build.timeoutMinutes).toBe(240);
    expect(settings.build.concurrency).toBe(1);
    expect(settings.registry.staging).toBeUndefined();
    expect(settings.registry.pushRetries).toBe(3);
  });

  test('empty file uses defaults', () => {
    const cwd = makeDir('');

    const settings = loadSettings({}, readEnv({}), cwd);

    expect(settings.configPath).toBe(path.join(cwd, 'drydock.yml'));
    expect(settings.build.timeoutMinutes).toBe(240);
    expect(settings.stateDir).toBe(path.join(cwd, '.drydock'));
  });

  test('ref flag without repo uses the working folder', () => {
    const cwd = makeDir();

    const settings = loadSettings({ ref: 'v1.0' }, readEnv({}), cwd);

    expect(settings.source.repo).toBe(cwd);
    expect(settings.source.ref).toBe('v1.0');
  });

  test('ref flag with a file lacking source uses the working folder', () => {
    const cwd = makeDir('build: { pull: false }\n');

    const settings = loadSettings({ ref: 'v1.0' }, readEnv({}), cwd);

    expect(settings.source.repo).toBe(cwd);
    expect(settings.source.ref).toBe('v1.0');
  });
});

describe('unknown keys', () => {
  test('top-level unknown key', () => {
    const cwd = makeDir('imagez: {}\n');

    const error = configErrorOf({}, {}, cwd);

    expect(error.message).toContain('unknown key imagez');
    expect(error.message).toMatch(/known keys here: source, images, build, registry, state\b/);
    expect(error.message).toContain('remove it or correct its spelling');
    expect(error.fix).toContain(path.join(cwd, 'drydock.yml'));
  });

  test('nested unknown key', () => {
    const cwd = makeDir('build: { noCash: true }\n');

    const error = configErrorOf({}, {}, cwd);

    expect(error.message).toContain('unknown key build.noCash');
    expect(error.message).toContain('known keys here: noCache, pull, network, timeoutMinutes, concurrency');
  });

  test('unknown key inside an image override', () => {
    const cwd = makeDir('images: { overrides: { ci_cpu: { contxt: docker } } }\n');

    const error = configErrorOf({}, {}, cwd);

    expect(error.message).toContain('unknown key images.overrides.ci_cpu.contxt');
    expect(error.message).toContain('known keys here: context, dockerfile, buildArgs, target, platform, timeoutMinutes');
  });
});

describe('bad values', () => {
  test('wrong type names key and value', () => {
    const cwd = makeDir('build: { noCache: "yes" }\n');

    const error = configErrorOf({}, {}, cwd);

    expect(error.message).toContain('build.noCache = "yes" is invalid');
    expect(error.message).toContain('expected true or false');
  });

  test('string for a number', () => {
    const cwd = makeDir('build: { timeoutMinutes: "two hours" }\n');

    const error = configErrorOf({}, {}, cwd);

    expect(error.message).toContain('build.timeoutMinutes = "two hours" is invalid');
    expect(error.message).toContain('expected a number');
  });

  test('negative timeout', () => {
    const cwd = makeDir('images: { overrides: { ci_gpu: { timeoutMinutes: -5 } } }\n');

    const error = configErrorOf({}, {}, cwd);

    expect(error.message).toContain('images.overrides.ci_gpu.timeoutMinutes = -5 is invalid');
    expect(error.message).toContain('above 0');
  });

  test('concurrency out of range', () => {
    const cwd = makeDir('build: { concurrency: 0 }\n');

    const error = configErrorOf({}, {}, cwd);

    expect(error.message).toContain('build.concurrency = 0 is invalid');
  });

  test('bad platform', () => {
    const cwd = makeDir('images: { overrides: { ci_arm: { platform: arm64 } } }\n');

    const error = configErrorOf({}, {}, cwd);

    expect(error.message).toContain('images.overrides.ci_arm.platform = "arm64" is invalid');
    expect(error.message).toContain('os/arch');
  });

  test('empty mapping value is named', () => {
    const cwd = makeDir('source:\n');

    const error = configErrorOf({}, {}, cwd);

    expect(error.message).toContain('source = null is invalid');
    expect(error.message).toContain('expected a mapping');
  });

  test('list where a mapping belongs', () => {
    const cwd = makeDir('images: [a, b]\n');

    const error = configErrorOf({}, {}, cwd);

    expect(error.message).toContain('images = ["a","b"] is invalid');
    expect(error.message).toContain('expected a mapping');
  });

  test('several problems are all listed', () => {
    const cwd = makeDir('build: { noCache: 1, pull: "no" }\n');

    const error = configErrorOf({}, {}, cwd);

    expect(error.message).toContain('build.noCache = 1');
    expect(error.message).toContain('build.pull = "no"');
  });

  test('malformed ref in the file', () => {
    const cwd = makeDir('source: { repo: ., ref: "--upload-pack=touch x" }\n');

    const error = configErrorOf({}, {}, cwd);

    expect(error.message).toContain('source.ref (or --ref) = "--upload-pack=touch x" is invalid');
    expect(error.message).toContain('starts with "-"');
  });

  test('malformed ref flag names the flag', () => {
    const cwd = makeDir();

    const error = configErrorOf({ ref: 'main..dev' }, {}, cwd);

    expect(error.message).toContain('source.ref = "main..dev" (from --ref) is invalid');
    expect(error.fix).toContain('--ref');
  });
});

describe('missing values', () => {
  test('source without repo uses the current folder', () => {
    const cwd = makeDir('source: { ref: main }\n');

    const settings = loadSettings({}, readEnv({}), cwd);

    expect(settings.source.repo).toBe(cwd);
    expect(settings.source.ref).toBe('main');
  });

  test('empty repo names the key and the fix', () => {
    const cwd = makeDir('source: { repo: "" }\n');

    const error = configErrorOf({}, {}, cwd);

    expect(error.message).toContain('source.repo (or --repo) = "" is invalid');
    expect(error.fix).toContain(path.join(cwd, 'drydock.yml'));
  });

  test('repo flag fills a source without repo', () => {
    const cwd = makeDir('source: { ref: main }\n');

    const settings = loadSettings({ repo: 'https://example.invalid/tvm.git' }, readEnv({}), cwd);

    expect(settings.source.repo).toBe('https://example.invalid/tvm.git');
    expect(settings.source.ref).toBe('main');
  });
});

describe('file errors', () => {
  test('invalid YAML names the file and line', () => {
    const cwd = makeDir('source:\n  repo: [unclosed\nbuild: {}\n');

    const error = configErrorOf({}, {}, cwd);

    expect(error.message).toContain(`invalid YAML in ${path.join(cwd, 'drydock.yml')}`);
    expect(error.message).toMatch(/line \d+/);
    expect(error.fix).toContain('YAML syntax');
  });

  test('list at top level', () => {
    const cwd = makeDir('- source\n- images\n');

    const error = configErrorOf({}, {}, cwd);

    expect(error.message).toContain('the top level must be a mapping of keys');
    expect(error.message).toContain('["source","images"]');
  });

  test('scalar at top level', () => {
    const cwd = makeDir('just some words\n');

    const error = configErrorOf({}, {}, cwd);

    expect(error.message).toContain('the top level must be a mapping of keys, got "just some words"');
  });

  test('config flag pointing at a missing file', () => {
    const cwd = makeDir();

    const error = configErrorOf({ config: 'nope.yml' }, {}, cwd);

    expect(error.message).toContain(`config file not found: ${path.join(cwd, 'nope.yml')}`);
    expect(error.fix).toContain('--config');
  });

  test('DRYDOCK_CONFIG pointing at a missing file', () => {
    const cwd = makeDir();

    const error = configErrorOf({}, { DRYDOCK_CONFIG: 'gone.yml' }, cwd);

    expect(error.message).toContain(path.join(cwd, 'gone.yml'));
    expect(error.message).toContain('DRYDOCK_CONFIG');
    expect(error.fix).toContain('DRYDOCK_CONFIG');
  });

  test('config flag pointing at a folder', () => {
    const cwd = makeDir();
    mkdirSync(path.join(cwd, 'conf'));

    const error = configErrorOf({ config: 'conf' }, {}, cwd);

    expect(error.message).toContain(path.join(cwd, 'conf'));
    expect(error.message).toContain('is not a file');
    expect(error.fix).toContain('--config');
  });
});

describe('precedence', () => {
  const fileYaml = 'registry: { staging: "file.example:5000/ci" }\nstate: { dir: from-file }\n';

  test('file beats default', () => {
    const cwd = makeDir(fileYaml);

    const settings = loadSettings({}, readEnv({}), cwd);

    expect(settings.registry.staging).toBe('file.example:5000/ci');
    expect(settings.stateDir).toBe(path.join(cwd, 'from-file'));
  });

  test('environment beats file', () => {
    const cwd = makeDir(fileYaml);
    const env = { DRYDOCK_STAGING_REGISTRY: 'env.example:5000/ci', DRYDOCK_STATE_DIR: 'from-env' };

    const settings = loadSettings({}, readEnv(env), cwd);

    expect(settings.registry.staging).toBe('env.example:5000/ci');
    expect(settings.stateDir).toBe(path.join(cwd, 'from-env'));
  });

  test('flag beats environment', () => {
    const cwd = makeDir(fileYaml);
    const env = { DRYDOCK_STAGING_REGISTRY: 'env.example:5000/ci', DRYDOCK_STATE_DIR: 'from-env' };

    const settings = loadSettings({ registry: 'flag.example:5000/ci', stateDir: 'from-flag' }, readEnv(env), cwd);

    expect(settings.registry.staging).toBe('flag.example:5000/ci');
    expect(settings.stateDir).toBe(path.join(cwd, 'from-flag'));
  });

  test('empty environment variable is unset', () => {
    const cwd = makeDir(fileYaml);

    const settings = loadSettings({}, readEnv({ DRYDOCK_STAGING_REGISTRY: '', DRYDOCK_STATE_DIR: '' }), cwd);

    expect(settings.registry.staging).toBe('file.example:5000/ci');
    expect(settings.stateDir).toBe(path.join(cwd, 'from-file'));
  });

  test('DRYDOCK_CONFIG selects the file', () => {
    const cwd = makeDir('build: { timeoutMinutes: 10 }\n');
    const other = makeDir('build: { timeoutMinutes: 20 }\n');

    const settings = loadSettings({}, readEnv({ DRYDOCK_CONFIG: path.join(other, 'drydock.yml') }), cwd);

    expect(settings.configPath).toBe(path.join(other, 'drydock.yml'));
    expect(settings.build.timeoutMinutes).toBe(20);
  });

  test('config flag beats DRYDOCK_CONFIG', () => {
    const cwd = makeDir();
    const fromEnv = makeDir('build: { timeoutMinutes: 20 }\n');
    const fromFlag = makeDir('build: { timeoutMinutes: 30 }\n');

    const settings = loadSettings(
      { config: path.join(fromFlag, 'drydock.yml') },
      readEnv({ DRYDOCK_CONFIG: path.join(fromEnv, 'drydock.yml') }),
      cwd,
    );

    expect(settings.build.timeoutMinutes).toBe(30);
  });

  test('bad environment value names the variable', () => {
    const cwd = makeDir(fileYaml);

    const error = configErrorOf({}, { DRYDOCK_STAGING_REGISTRY: 'Registry.example/CI' }, cwd);

    expect(error.message).toContain('registry.staging = "Registry.example/CI" (from DRYDOCK_STAGING_REGISTRY) is invalid');
    expect(error.fix).toContain('DRYDOCK_STAGING_REGISTRY');
    expect(error.fix).not.toContain('drydock.yml');
  });

  test('bad flag value names the flag', () => {
    const cwd = makeDir();

    const error = configErrorOf({ registry: 'localhost:5000' }, {}, cwd);

    expect(error.message).toContain('registry.staging = "localhost:5000" (from --registry) is invalid');
    expect(error.fix).toContain('--registry');
  });
});

describe('relative paths', () => {
  test('file paths start at the file folder', () => {
    const cwd = makeDir();
    const configDir = makeDir('source: { repo: ../project }\nstate: { dir: state }\n');

    const settings = loadSettings({ config: path.join(configDir, 'drydock.yml') }, readEnv({}), cwd);

    expect(settings.source.repo).toBe(path.resolve(configDir, '..', 'project'));
    expect(settings.stateDir).toBe(path.join(configDir, 'state'));
  });

  test('flag paths start at cwd', () => {
    const cwd = makeDir();
    const configDir = makeDir('source: { repo: ../project }\nstate: { dir: state }\n');

    const settings = loadSettings(
      { config: path.join(configDir, 'drydock.yml'), repo: 'checkout', stateDir: 'flag-state' },
      readEnv({}),
      cwd,
    );

    expect(settings.source.repo).toBe(path.join(cwd, 'checkout'));
    expect(settings.stateDir).toBe(path.join(cwd, 'flag-state'));
  });

  test('environment state dir starts at cwd', () => {
    const cwd = makeDir();
    const configDir = makeDir('state: { dir: state }\n');

    const settings = loadSettings({ config: path.join(configDir, 'drydock.yml') }, readEnv({ DRYDOCK_STATE_DIR: 'env-state' }), cwd);

    expect(settings.stateDir).toBe(path.join(cwd, 'env-state'));
  });

  test('relative config flag resolves from cwd', () => {
    const cwd = makeDir();
    mkdirSync(path.join(cwd, 'conf'));
    writeFileSync(path.join(cwd, 'conf', 'ci.yml'), 'state: { dir: s }\n');

    const settings = loadSettings({ config: 'conf/ci.yml' }, readEnv({}), cwd);

    expect(settings.configPath).toBe(path.join(cwd, 'conf', 'ci.yml'));
    expect(settings.stateDir).toBe(path.join(cwd, 'conf', 's'));
  });

  test('absolute paths stay as written', () => {
    const cwd = makeDir('source: { repo: /srv/tvm }\nstate: { dir: /var/lib/drydock }\n');

    const settings = loadSettings({}, readEnv({}), cwd);

    expect(settings.source.repo).toBe('/srv/tvm');
    expect(settings.stateDir).toBe('/var/lib/drydock');
  });

  test('URLs are not paths', () => {
    const https = makeDir('source: { repo: "https://github.com/apache/tvm.git" }\n');
    const scp = makeDir('source: { repo: "git@github.com:apache/tvm.git" }\n');

    expect(loadSettings({}, readEnv({}), https).source.repo).toBe('https://github.com/apache/tvm.git');
    expect(loadSettings({}, readEnv({}), scp).source.repo).toBe('git@github.com:apache/tvm.git');
  });
});

describe('registry location', () => {
  const accepted = [
    '127.0.0.1:5000/ci',
    'localhost:5000/ci',
    'registry.example.com/team/ci',
    'registry.example.com:443/ci',
    'tlcpack',
    'my-org/ci_images',
  ];
  const rejected = [
    'Tlcpack',
    'registry.example.com/CI',
    'Registry.example.com/ci',
    'localhost:5000',
    'localhost:5000/',
    '127.0.0.1:5000/ci/',
    'https://registry.example.com/ci',
    'registry.example.com/ci:latest',
    '',
  ];

  test.each(accepted)('accepts %s', (staging) => {
    const cwd = makeDir();

    const settings = loadSettings({ registry: staging }, readEnv({}), cwd);

    expect(settings.registry.staging).toBe(staging);
  });

  test.each(rejected)('rejects %j', (staging) => {
    const cwd = makeDir(`registry: { staging: ${JSON.stringify(staging)} }\n`);

    const error = configErrorOf({}, {}, cwd);

    expect(error.message).toContain(`registry.staging (or --registry) = ${JSON.stringify(staging)} is invalid`);
  });
});
