import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { discoverCatalog, type CatalogImage, type DiscoverOptions } from '../src/catalog/discover-images.js';
import { parseDotEnv } from '../src/catalog/compose/dotenv.js';
import { interpolate, InterpolationError } from '../src/catalog/compose/interpolate.js';
import { findNameProblem, imageNameFromFile } from '../src/catalog/image-name.js';
import { readEnv } from '../src/config/env.js';
import { loadSettings, type Settings } from '../src/config/load-config.js';
import { ConfigError } from '../src/errors.js';
import { createGitRepo } from './helpers/git-repo.js';

function settingsFrom(yaml: string): Settings {
  const dir = mkdtempSync(path.join(tmpdir(), 'drydock-sources-config-'));
  writeFileSync(path.join(dir, 'drydock.yml'), yaml);
  return loadSettings({}, readEnv({}), dir);
}

function byName(images: CatalogImage[], name: string): CatalogImage {
  const image = images.find((candidate) => candidate.name === name);
  if (!image) throw new Error(`image ${name} not in catalog: ${images.map((entry) => entry.name).join(', ')}`);
  return image;
}

function catalogErrorOf(settings: Settings, repo: string, options: DiscoverOptions = {}): ConfigError {
  let names: string[] | undefined;
  try {
    names = discoverCatalog(settings, repo, options).images.map((image) => image.name);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error(`expected a ConfigError, got images ${names.join(', ')}`);
}

describe('interpolation', () => {
  const variables: Record<string, string> = { SET: 'value', EMPTY: '' };
  const lookup = (name: string) => variables[name];
  const expand = (text: string) => interpolate(text, lookup, new Set());

  test.each([
    ['${SET}', 'value'],
    ['$SET/x', 'value/x'],
    ['${MISSING}', ''],
    ['${MISSING:-fallback}', 'fallback'],
    ['${EMPTY:-fallback}', 'fallback'],
    ['${EMPTY-fallback}', ''],
    ['${MISSING-fallback}', 'fallback'],
    ['${SET:-fallback}', 'value'],
    ['${SET:+alternative}', 'alternative'],
    ['${EMPTY:+alternative}', ''],
    ['${EMPTY+alternative}', 'alternative'],
    ['${MISSING:-${SET}-nested}', 'value-nested'],
    ['$$SET and $${SET}', '$SET and ${SET}'],
    ['cost: 5$$', 'cost: 5$'],
    ['no variables', 'no variables'],
  ])('%s', (text, expected) => {
    expect(expand(text)).toBe(expected);
  });

  test('unset variables are collected', () => {
    const unset = new Set<string>();

    interpolate('${A}-$B-${C:-c}-${SET}', lookup, unset);

    expect([...unset].sort()).toEqual(['A', 'B']);
  });

  test.each([
    ['${MISSING:?needs a value}', 'required variable MISSING is not set: needs a value'],
    ['${EMPTY:?}', 'required variable EMPTY is empty'],
    ['${unclosed', 'has no closing "}"'],
    ['${1BAD}', 'a variable name must come first'],
    ['${SET:x}', 'after the name comes'],
    ['price $5', 'write $$ for a literal $'],
  ])('%s is rejected', (text, message) => {
    expect(() => expand(text)).toThrow(InterpolationError);
    expect(() => expand(text)).toThrow(message);
  });

  test('${VAR?} passes an empty value', () => {
    expect(expand('[${EMPTY?}]')).toBe('[]');
  });
});

describe('.env files', () => {
  test('quotes, comments and export', () => {
    const entries = parseDotEnv(['# comment', '', 'A=plain value # note', "B='${A} literal'", 'export C="line\\none \\"quoted\\""', 'D='].join('\n'));

    expect(entries).toEqual([
      { name: 'A', value: 'plain value', interpolate: true },
      { name: 'B', value: '${A} literal', interpolate: false },
      { name: 'C', value: 'line\none "quoted"', interpolate: true },
      { name: 'D', value: '', interpolate: true },
    ]);
  });

  test('line without = is rejected', () => {
    expect(() => parseDotEnv('A=1\njust words\n')).toThrow('line 2 is not NAME=value');
  });

  test('bad .env names the Compose file', () => {
    const repo = createGitRepo({ 'compose.yaml': 'services:\n  app:\n    build: .\n', '.env': "A='unclosed\n", Dockerfile: 'FROM alpine\n' });

    const error = catalogErrorOf(settingsFrom('images: { compose: compose.yaml }\n'), repo, { environment: {} });

    expect(error.message).toContain('invalid .env beside Compose file compose.yaml: line 1 has no closing single quote');
  });
});

describe('image names', () => {
  test.each([
    ['docker/Dockerfile.ci_cpu', 'ci_cpu'],
    ['docker/Dockerfile.build.ubuntu', 'build.ubuntu'],
    ['ci/build.ubuntu.dockerfile', 'build.ubuntu'],
    ['ci/Lint.Dockerfile', 'Lint'],
    ['images/ci_gpu/Dockerfile', 'ci_gpu'],
  ])('%s gives %s', (file, name) => {
    expect(imageNameFromFile(file)).toBe(name);
  });

  test.each([
    ['ci_cpu', undefined],
    ['build.ubuntu', undefined],
    ['a__b', undefined],
    ['a---b', undefined],
    ['CI', 'upper-case'],
    ['a+b', 'contains "+"'],
    ['_a', 'starts with a separator'],
    ['a.', 'ends with a separator'],
    ['a..b', 'has the separators ".." in a row'],
    ['a___b', 'has the separators "___" in a row'],
    ['a._b', 'has the separators "._" in a row'],
    ['', 'is empty'],
  ])('%j', (name, problem) => {
    if (problem === undefined) expect(findNameProblem(name)).toBeUndefined();
    else expect(findNameProblem(name)).toContain(problem);
  });
});

describe('glob source', () => {
  test('*.dockerfile and dotted names', () => {
    const repo = createGitRepo({
      'ci/build.ubuntu.dockerfile': 'FROM ubuntu:24.04\n',
      'ci/lint.dockerfile': 'FROM build.ubuntu\n',
      'ci/notes.txt': 'not an image\n',
    });

    const { images } = discoverCatalog(settingsFrom('images: { discover: "ci/*.dockerfile" }\n'), repo);

    expect(images.map((image) => image.name)).toEqual(['build.ubuntu', 'lint']);
    expect(byName(images, 'lint').parents).toEqual(['build.ubuntu']);
    expect(byName(images, 'lint').origin).toEqual({ kind: 'glob', file: 'ci/lint.dockerfile' });
  });

  test('several globs', () => {
    const repo = createGitRepo({ 'docker/Dockerfile.one': 'FROM alpine\n', 'images/two/Dockerfile': 'FROM alpine\n' });

    const { images } = discoverCatalog(settingsFrom('images: { discover: ["docker/Dockerfile.*", "images/*/Dockerfile"] }\n'), repo);

    expect(images.map((image) => image.name).sort()).toEqual(['one', 'two']);
    expect(byName(images, 'two').context).toBe(path.join(repo, 'images', 'two'));
  });

  test('invalid name names the file and the rule', () => {
    const repo = createGitRepo({ 'ci/Build+Tools.dockerfile': 'FROM alpine\n' });

    const error = catalogErrorOf(settingsFrom('images: { discover: "ci/*.dockerfile" }\n'), repo);

    expect(error.message).toContain('"Build+Tools"');
    expect(error.message).toContain('ci/Build+Tools.dockerfile');
    expect(error.message).toContain('upper-case');
    expect(error.fix).toContain('images.rename');
  });

  test('rename maps an invalid name', () => {
    const repo = createGitRepo({ 'ci/Build.Ubuntu.dockerfile': 'FROM alpine\n' });

    const { images } = discoverCatalog(settingsFrom('images: { discover: "ci/*.dockerfile", rename: { Build.Ubuntu: build.ubuntu } }\n'), repo);

    expect(images.map((image) => image.name)).toEqual(['build.ubuntu']);
  });

  test('rename of an unknown image', () => {
    const repo = createGitRepo({ 'docker/Dockerfile.one': 'FROM alpine\n' });

    const error = catalogErrorOf(settingsFrom('images: { rename: { onne: two } }\n'), repo);

    expect(error.message).toContain('images.rename.onne names an image that was not discovered');
    expect(error.fix).toContain('one');
  });

  test('rename to an invalid name is a config error', () => {
    expect(() => settingsFrom('images: { rename: { one: "Two" } }\n')).toThrow('images.rename.one = "Two" is invalid');
  });

  test('default glob only without other sources', () => {
    const repo = createGitRepo({
      'docker/Dockerfile.globbed': 'FROM alpine\n',
      'ci/Dockerfile': 'FROM alpine\n',
    });

    const { images } = discoverCatalog(settingsFrom('images: { list: [{ name: listed, dockerfile: ci/Dockerfile }] }\n'), repo);

    expect(images.map((image) => image.name)).toEqual(['listed']);
  });
});

describe('list source', () => {
  const repo = () =>
    createGitRepo({
      'ci/Dockerfile': 'ARG FLAVOR=plain\nARG REPO=drydock\nFROM ${REPO}/base-${FLAVOR}:latest\n',
      'ci/base.Dockerfile': 'FROM alpine:3.20\n',
    });

  test('one Dockerfile, three images', () => {
    const settings = settingsFrom(
      [
        'images:',
        '  list:',
        '    - { name: base-plain, dockerfile: ci/base.Dockerfile }',
        '    - { name: app-a, dockerfile: ci/Dockerfile }',
        '    - { name: app-b, dockerfile: ci/Dockerfile, buildArgs: { FLAVOR: other }, target: final }',
        '    - { name: app-c, dockerfile: ci/Dockerfile, context: ., buildArgs: { REPO: registry.invalid/ns, FLAVOR: x }, platform: linux/arm64 }',
      ].join('\n'),
    );

    const dir = repo();
    const { images } = discoverCatalog(settings, dir);

    const a = byName(images, 'app-a');
    expect(a.parents).toEqual(['base-plain']);
    expect(a.baseImages).toEqual([]);
    expect(a.context).toBe(path.join(dir, 'ci'));
    const b = byName(images, 'app-b');
    expect(b.buildArgs).toEqual({ FLAVOR: 'other' });
    expect(b.baseImages).toEqual(['drydock/base-other:latest']);
    expect(b.target).toBe('final');
    const c = byName(images, 'app-c');
    expect(c.baseImages).toEqual(['registry.invalid/ns/base-x:latest']);
    expect(c.platform).toBe('linux/arm64');
    expect(c.origin).toEqual({ kind: 'list', file: 'images.list[3]', index: 3 });
    expect(images.map((image) => image.name).indexOf('base-plain')).toBeLessThan(images.map((image) => image.name).indexOf('app-a'));
  });

  test('context defaults to the Dockerfile folder', () => {
    const dir = repo();

    const { images } = discoverCatalog(settingsFrom('images: { list: [{ name: one, dockerfile: ci/Dockerfile }, { name: two, dockerfile: ci/Dockerfile, context: . }] }\n'), dir);

    expect(byName(images, 'one').context).toBe(path.join(dir, 'ci'));
    expect(byName(images, 'two').context).toBe(dir);
  });

  test('invalid list name is a config error', () => {
    expect(() => settingsFrom('images: { list: [{ name: "Bad_Name", dockerfile: ci/Dockerfile }] }\n')).toThrow('images.list.0.name = "Bad_Name" is invalid');
  });

  test('duplicate list names', () => {
    expect(() => settingsFrom('images: { list: [{ name: a, dockerfile: x }, { name: a, dockerfile: y }] }\n')).toThrow('must give each image a different name');
  });

  test('list context outside the repository', () => {
    const error = catalogErrorOf(settingsFrom('images: { list: [{ name: one, dockerfile: ci/Dockerfile, context: ../.. }] }\n'), repo());

    expect(error.message).toContain('images.list[0].context points outside the repository');
  });

  test('missing list Dockerfile', () => {
    const error = catalogErrorOf(settingsFrom('images: { list: [{ name: one, dockerfile: ci/nope.Dockerfile }] }\n'), repo());

    expect(error.message).toContain('Dockerfile of image one not found');
    expect(error.fix).toContain('images.list[0]');
  });

  test('name taken by two sources', () => {
    const dir = createGitRepo({ 'docker/Dockerfile.one': 'FROM alpine\n' });

    const error = catalogErrorOf(settingsFrom('images: { discover: "docker/Dockerfile.*", list: [{ name: one, dockerfile: docker/Dockerfile.one }] }\n'), dir);

    expect(error.message).toContain('image name one is defined twice: by docker/Dockerfile.one and by images.list[0] in drydock.yml');
  });
});

const COMPOSE_REPO = {
  'ci/docker/compose.yml': [
    'x-common: &common',
    '  context: ../..',
    '  args: &common-args',
    '    REGISTRY: ${REGISTRY:-local}',
    'x-unused: ${UNSET_IN_EXTENSION:?never read}',
    'services:',
    '  base:',
    '    image: ${REGISTRY:-local}/ci-base:${TAG-latest}',
    '    build:',
    '      <<: *common',
    '      dockerfile: ci/docker/base.Dockerfile',
    '      x-note: ${ALSO_UNSET:?ignored}',
    '  app:',
    '    image: ${REGISTRY:-local}/ci-app',
    '    platform: linux/amd64',
    '    build:',
    '      <<: *common',
    '      dockerfile: ci/docker/app.Dockerfile',
    '      target: final',
    '      args:',
    '        <<: *common-args',
    '        BASE_IMAGE: ${REGISTRY:-local}/ci-base:${TAG-latest}',
    '        FROM_ENV:',
    '        PRICE: "$$5"',
    '    command: ["sh", "-c", "echo it\'s ${GREETING}"]',
    '    working_dir: /src/tests',
    '    environment:',
    '      - MODE=${MODE:-ci}',
    '      - FROM_ENV',
    '      - EXTRA=${NOT_SET}',
    '    volumes:',
    '      - ../..:/src',
    '      - ./cache:/cache:ro',
    '      - data:/data',
    '      - /etc/hosts:/host-hosts',
    '      - { type: bind, source: ../../tests, target: /tests, read_only: true }',
    '  db:',
    '    image: postgres:16',
    'volumes:',
    '  data: {}',
  ].join('\n'),
  'ci/docker/.env': '# defaults for local runs\nTAG=2024\nexport GREETING="hello from ${TAG}" # inline comment\nLITERAL=\'${TAG}\'\n',
  'ci/docker/base.Dockerfile': 'FROM alpine:3.20\n',
  'ci/docker/app.Dockerfile': 'ARG BASE_IMAGE\nFROM ${BASE_IMAGE} AS final\n',
};

describe('compose source', () => {
  const composeConfig = 'images: { compose: ci/docker/compose.yml }\nvalidate: { fromCompose: true }\n';

  test('services with build: become images', () => {
    const repo = createGitRepo(COMPOSE_REPO);

    const catalog = discoverCatalog(settingsFrom(composeConfig), repo, { environment: { FROM_ENV: 'shell' } });

    expect(catalog.images.map((image) => image.name)).toEqual(['base', 'app']);
    const base = byName(catalog.images, 'base');
    expect(base.context).toBe(repo);
    expect(base.dockerfile).toBe(path.join(repo, 'ci/docker/base.Dockerfile'));
    expect(base.buildArgs).toEqual({ REGISTRY: 'local' });
    expect(base.aliases).toEqual(['local/ci-base']);
    expect(base.origin).toEqual({ kind: 'compose', file: 'ci/docker/compose.yml', service: 'base' });
  });

  test('.env, merge keys and build-arg parents', () => {
    const repo = createGitRepo(COMPOSE_REPO);

    const app = byName(discoverCatalog(settingsFrom(composeConfig), repo, { environment: { FROM_ENV: 'shell' } }).images, 'app');

    expect(app.buildArgs).toEqual({ REGISTRY: 'local', BASE_IMAGE: 'local/ci-base:2024', FROM_ENV: 'shell', PRICE: '$5' });
    expect(app.parents).toEqual(['base']);
    expect(app.parentReferences).toEqual([{ reference: 'local/ci-base:2024', parent: 'base' }]);
    expect(app.baseImages).toEqual([]);
    expect(app.target).toBe('final');
    expect(app.platform).toBe('linux/amd64');
  });

  test('environment wins over .env', () => {
    const repo = createGitRepo(COMPOSE_REPO);

    const app = byName(discoverCatalog(settingsFrom(composeConfig), repo, { environment: { TAG: 'from-shell', REGISTRY: 'reg.invalid/ns' } }).images, 'app');

    expect(app.buildArgs.BASE_IMAGE).toBe('reg.invalid/ns/ci-base:from-shell');
    expect(app.parents).toEqual(['base']);
  });

  test('service without build: is skipped with the reason', () => {
    const repo = createGitRepo(COMPOSE_REPO);

    const { skipped } = discoverCatalog(settingsFrom(composeConfig), repo, { environment: {} });

    expect(skipped).toEqual([{ service: 'db', file: 'ci/docker/compose.yml', reason: 'no build: section, so drydock has nothing to build (it runs the image postgres:16)' }]);
  });

  test('unset variables are reported', () => {
    const repo = createGitRepo(COMPOSE_REPO);

    const { unsetVariables } = discoverCatalog(settingsFrom(composeConfig), repo, { environment: {} });

    expect(unsetVariables).toEqual(['NOT_SET']);
  });

  test('test command from the service', () => {
    const repo = createGitRepo(COMPOSE_REPO);

    const app = byName(discoverCatalog(settingsFrom(composeConfig), repo, { environment: { FROM_ENV: 'shell' } }).images, 'app');

    expect(app.composeTest).toEqual({
      command: `sh -c 'echo it'\\''s hello from 2024'`,
      workdir: '/src/tests',
      environment: { MODE: 'ci', FROM_ENV: 'shell', EXTRA: '' },
      mounts: [
        { source: '.', target: '/src', readOnly: false },
        { source: 'ci/docker/cache', target: '/cache', readOnly: true },
        { source: 'tests', target: '/tests', readOnly: true },
      ],
      ignoredVolumes: ['data:/data: not a bind mount', '/etc/hosts:/host-hosts: outside the repository'],
    });
    expect(byName(discoverCatalog(settingsFrom(composeConfig), repo, { environment: {} }).images, 'base').composeTest).toBeUndefined();
  });

  test('nameFrom: image', () => {
    const repo = createGitRepo(COMPOSE_REPO);

    const { images } = discoverCatalog(settingsFrom('images: { compose: ci/docker/compose.yml, nameFrom: image }\n'), repo, { environment: {} });

    expect(images.map((image) => image.name)).toEqual(['ci-base', 'ci-app']);
    expect(byName(images, 'ci-app').parents).toEqual(['ci-base']);
  });

  test('build: as a string is the context', () => {
    const repo = createGitRepo({ 'compose.yaml': 'services:\n  tools:\n    build: ./tools\n', 'tools/Dockerfile': 'FROM alpine\n' });

    const tools = byName(discoverCatalog(settingsFrom('images: { compose: compose.yaml }\n'), repo).images, 'tools');

    expect(tools.context).toBe(path.join(repo, 'tools'));
    expect(tools.dockerfile).toBe(path.join(repo, 'tools', 'Dockerfile'));
  });

  test('exclude skips a service', () => {
    const repo = createGitRepo(COMPOSE_REPO);

    const catalog = discoverCatalog(settingsFrom('images: { compose: ci/docker/compose.yml, exclude: [app] }\n'), repo, { environment: {} });

    expect(catalog.images.map((image) => image.name)).toEqual(['base']);
    expect(catalog.skipped.map((entry) => `${entry.service}: ${entry.reason}`)).toContain('app: excluded by images.exclude');
  });

  test('override merges build args', () => {
    const repo = createGitRepo(COMPOSE_REPO);

    const app = byName(
      discoverCatalog(settingsFrom('images: { compose: ci/docker/compose.yml, overrides: { app: { buildArgs: { BASE_IMAGE: "alpine:3.19" } } } }\n'), repo, { environment: {} }).images,
      'app',
    );

    expect(app.buildArgs).toEqual({ REGISTRY: 'local', BASE_IMAGE: 'alpine:3.19', PRICE: '$5' });
    expect(app.baseImages).toEqual(['alpine:3.19']);
    expect(app.parents).toEqual([]);
  });
});

describe('compose guards', () => {
  test('missing Compose file', () => {
    const repo = createGitRepo({ 'README.md': 'x\n' });

    const error = catalogErrorOf(settingsFrom('images: { compose: ci/compose.yml }\n'), repo);

    expect(error.message).toContain('Compose file not found: ci/compose.yml (images.compose)');
    expect(error.fix).toContain('images.compose');
  });

  test('malformed YAML names the line', () => {
    const repo = createGitRepo({ 'compose.yaml': 'services:\n  app:\n    build: .\n   image: [unclosed\n' });

    const error = catalogErrorOf(settingsFrom('images: { compose: compose.yaml }\n'), repo);

    expect(error.message).toContain('invalid YAML in Compose file compose.yaml');
    expect(error.message).toMatch(/line \d+/);
  });

  test('no services mapping', () => {
    const repo = createGitRepo({ 'compose.yaml': 'version: "3"\n' });

    const error = catalogErrorOf(settingsFrom('images: { compose: compose.yaml }\n'), repo);

    expect(error.message).toContain('Compose file compose.yaml has no services: mapping');
  });

  test('wrong field type names the key', () => {
    const repo = createGitRepo({ 'compose.yaml': 'services:\n  app:\n    build: { context: ., args: 5 }\n' });

    const error = catalogErrorOf(settingsFrom('images: { compose: compose.yaml }\n'), repo);

    expect(error.message).toContain('services.app.build');
  });

  test('bad interpolation names the key', () => {
    const repo = createGitRepo({ 'compose.yaml': 'services:\n  app:\n    build:\n      context: .\n      args: { A: "${NEEDED:?set NEEDED first}" }\n', Dockerfile: 'FROM alpine\n' });

    const error = catalogErrorOf(settingsFrom('images: { compose: compose.yaml }\n'), repo, { environment: {} });

    expect(error.message).toContain('at services.app.build.args.A: required variable NEEDED is not set: set NEEDED first');
  });

  test('invalid service name names the rule', () => {
    const repo = createGitRepo({ 'compose.yaml': 'services:\n  App_Tools:\n    build: .\n', Dockerfile: 'FROM alpine\n' });

    const error = catalogErrorOf(settingsFrom('images: { compose: compose.yaml }\n'), repo);

    expect(error.message).toContain('image name "App_Tools" from service App_Tools in compose.yaml is not a valid repository name: it contains upper-case letters');
    expect(error.fix).toContain('rename the service');
  });

  test('unknown service in overrides', () => {
    const repo = createGitRepo(COMPOSE_REPO);

    const error = catalogErrorOf(settingsFrom('images: { compose: ci/docker/compose.yml, overrides: { apps: { target: x } } }\n'), repo, { environment: {} });

    expect(error.message).toContain('images.overrides.apps names an image that was not discovered');
    expect(error.fix).toContain('base, app');
    expect(error.fix).toContain('images.compose = "ci/docker/compose.yml"');
  });

  test('override of a service without build:', () => {
    const repo = createGitRepo(COMPOSE_REPO);

    const error = catalogErrorOf(settingsFrom('images: { compose: ci/docker/compose.yml, overrides: { db: { target: x } } }\n'), repo, { environment: {} });

    expect(error.message).toContain('images.overrides.db names an image: service db in ci/docker/compose.yml is not an image (no build: section');
  });

  test('context outside the repository', () => {
    const repo = createGitRepo({ 'compose.yaml': 'services:\n  app:\n    build: ../elsewhere\n' });

    const error = catalogErrorOf(settingsFrom('images: { compose: compose.yaml }\n'), repo);

    expect(error.message).toContain('build.context of service app in compose.yaml puts the build context outside the repository');
  });

  test('remote context is rejected', () => {
    const repo = createGitRepo({ 'compose.yaml': 'services:\n  app:\n    build: https://example.invalid/repo.git\n' });

    const error = catalogErrorOf(settingsFrom('images: { compose: compose.yaml }\n'), repo);

    expect(error.message).toContain('remote context https://example.invalid/repo.git');
  });

  test('FROM cycle through build args', () => {
    const repo = createGitRepo({
      'compose.yaml': 'services:\n  one:\n    build: { context: ., dockerfile: x.Dockerfile, args: { BASE: two } }\n  two:\n    build: { context: ., dockerfile: x.Dockerfile, args: { BASE: one } }\n',
      'x.Dockerfile': 'ARG BASE\nFROM $BASE\n',
    });

    const error = catalogErrorOf(settingsFrom('images: { compose: compose.yaml }\n'), repo);

    expect(error.message).toMatch(/FROM cycle: (one -> two -> one|two -> one -> two)/);
  });

  test('fromCompose needs a Compose file', () => {
    const repo = createGitRepo({ 'docker/Dockerfile.one': 'FROM alpine\n' });

    const error = catalogErrorOf(settingsFrom('validate: { fromCompose: true }\n'), repo);

    expect(error.message).toContain('validate.fromCompose is true');
    expect(error.fix).toContain('images.compose');
  });
});
