import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { listContextEntries, readIgnoreRules } from '../src/build/build-context.js';

function createContext(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'drydock-context-'));
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), content);
  }
  return dir;
}

const TREE = {
  'ci/docker/Dockerfile': 'FROM scratch\n',
  'ci/install/setup.sh': 'echo\n',
  'ci/install/cache.tmp': 'x\n',
  'docs/guide.md': 'x\n',
  'src/lib/a.c': 'x\n',
  'src/lib/keep.h': 'x\n',
  'README.md': 'x\n',
};

function entriesFor(dockerignore: string | undefined, alwaysSent?: Set<string>): string[] {
  const files: Record<string, string> = dockerignore === undefined ? TREE : { ...TREE, '.dockerignore': dockerignore };
  const dir = createContext(files);
  return listContextEntries(dir, readIgnoreRules(dir), alwaysSent);
}

describe('context entries', () => {
  test('no .dockerignore sends everything', () => {
    expect(entriesFor(undefined)).toEqual([
      'README.md',
      'ci',
      'ci/docker',
      'ci/docker/Dockerfile',
      'ci/install',
      'ci/install/cache.tmp',
      'ci/install/setup.sh',
      'docs',
      'docs/guide.md',
      'src',
      'src/lib',
      'src/lib/a.c',
      'src/lib/keep.h',
    ]);
  });

  test('allow-list with * then !ci/**', () => {
    expect(entriesFor('*\n!ci/**\n')).toEqual(['ci/docker', 'ci/docker/Dockerfile', 'ci/install', 'ci/install/cache.tmp', 'ci/install/setup.sh']);
  });

  test('exception inside an allowed folder', () => {
    expect(entriesFor('*\n!ci/**\nci/**/*.tmp\n')).toEqual(['ci/docker', 'ci/docker/Dockerfile', 'ci/install', 'ci/install/setup.sh']);
  });

  test('negated folder name sends its files', () => {
    expect(entriesFor('*\n!docs\n')).toEqual(['docs', 'docs/guide.md']);
  });

  test('deep negation with a wildcard segment', () => {
    expect(entriesFor('src\n!src/*/keep.h\n')).toEqual([
      '.dockerignore',
      'README.md',
      'ci',
      'ci/docker',
      'ci/docker/Dockerfile',
      'ci/install',
      'ci/install/cache.tmp',
      'ci/install/setup.sh',
      'docs',
      'docs/guide.md',
      'src/lib/keep.h',
    ]);
  });

  test('ignored folder without negations is pruned whole', () => {
    expect(entriesFor('docs\nsrc/\n*.md\n')).toEqual(['.dockerignore', 'ci', 'ci/docker', 'ci/docker/Dockerfile', 'ci/install', 'ci/install/cache.tmp', 'ci/install/setup.sh']);
  });

  test('always-sent files pass the rules', () => {
    expect(entriesFor('*\n', new Set(['.dockerignore']))).toEqual(['.dockerignore']);
  });
});
