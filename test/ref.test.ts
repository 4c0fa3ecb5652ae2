import { execFileSync } from 'node:child_process';
import { describe, expect, test } from 'vitest';
import { ConfigError } from '../src/errors.js';
import { findRefProblem, validateRef } from '../src/source/ref.js';

/** True when git itself accepts `ref` as a branch name. */
function gitAcceptsBranch(ref: string): boolean {
  try {
    execFileSync('git', ['check-ref-format', '--branch', ref], { stdio: 'pipe' });
    return true;
  } catch {
    return false;
  }
}

const valid = [
  'main',
  'v1.2.0',
  'release/v0.18.0',
  'feature/ci-images_2',
  'refs/heads/main',
  'HEAD',
  'a1b2c3d',
  'c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00',
  'dev@home',
  'a.b',
];

const invalid: [ref: string, problem: string][] = [
  ['', 'is empty'],
  ['-b', 'starts with "-"'],
  ['--upload-pack=touch /tmp/x', 'starts with "-"'],
  ['main..dev', 'contains ".."'],
  ['HEAD..', 'contains ".."'],
  ['my branch', 'white space'],
  ['tab\tname', 'white space'],
  ['new\nline', 'white space'],
  ['bell\x07', 'control character'],
  ['nul\x00', 'control character'],
  ['del\x7f', 'control character'],
  ['main@{1}', '"@{"'],
  ['@', 'is "@"'],
  ['HEAD~1', '~ ^ :'],
  ['HEAD^', '~ ^ :'],
  ['a:b', '~ ^ :'],
  ['what?', '~ ^ :'],
  ['glob*', '~ ^ :'],
  ['br[ack', '~ ^ :'],
  ['back\\slash', '~ ^ :'],
  ['main.lock', '".lock"'],
  ['feature.lock/x', '".lock"'],
  ['.hidden', 'starts with "."'],
  ['release/.hidden', 'starts with "."'],
  ['trailing.', 'ends with "."'],
  ['trailing/', '"/"'],
  ['/leading', '"/"'],
  ['double//slash', '"//"'],
];

describe('validateRef', () => {
  test.each(valid)('accepts %s', (ref) => {
    expect(validateRef(ref)).toBe(ref);
  });

  test.each(invalid)('rejects %j', (ref, problem) => {
    expect(findRefProblem(ref)).toContain(problem);
  });

  test('error names origin, value and fix', () => {
    let caught: unknown;
    try {
      validateRef('-x', '--ref');
    } catch (error) {
      caught = error;
    }

    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as ConfigError).message).toBe('--ref = "-x" is not a valid git ref: it starts with "-"');
    expect((caught as ConfigError).fix).toContain('branch, tag or commit');
  });
});

describe('agreement with git check-ref-format', () => {
  test.each(valid.filter((ref) => ref !== 'HEAD'))('git accepts %s', (ref) => {
    expect(gitAcceptsBranch(ref)).toBe(true);
  });

  // Git cannot receive a NUL in an argument, and `--branch` expands "@" to
  // the current branch, so those two are left out.
  const comparable = invalid.map(([ref]) => ref).filter((ref) => !ref.includes('\x00') && ref !== '@');

  test.each(comparable)('git rejects %j', (ref) => {
    expect(gitAcceptsBranch(ref)).toBe(false);
  });
});
