import { expect, test } from 'vitest';
import { IMAGE_NAME_PATTERN, repositoryFor, splitReference, stripTag } from '../src/catalog/image-reference.js';

test('stripTag drops tag and digest', () => {
  expect(stripTag('ci_base')).toBe('ci_base');
  expect(stripTag('ci_base:latest')).toBe('ci_base');
  expect(stripTag('127.0.0.1:5000/ci/ci_base')).toBe('127.0.0.1:5000/ci/ci_base');
  expect(stripTag('127.0.0.1:5000/ci/ci_base:2024-01-02')).toBe('127.0.0.1:5000/ci/ci_base');
  expect(stripTag('ubuntu@sha256:abc')).toBe('ubuntu');
  expect(stripTag('host:5000/a/b:tag@sha256:abc')).toBe('host:5000/a/b');
});

test('splitReference defaults to latest', () => {
  expect(splitReference('ubuntu')).toEqual({ repository: 'ubuntu', tag: 'latest' });
  expect(splitReference('ubuntu:22.04')).toEqual({ repository: 'ubuntu', tag: '22.04' });
  expect(splitReference('localhost:5000/ci/base')).toEqual({ repository: 'localhost:5000/ci/base', tag: 'latest' });
  expect(splitReference('localhost:5000/ci/base:v1@sha256:abc')).toEqual({ repository: 'localhost:5000/ci/base', tag: 'v1' });
});

test('repositoryFor with and without staging', () => {
  expect(repositoryFor('ci_cpu', '127.0.0.1:5000/ci')).toBe('127.0.0.1:5000/ci/ci_cpu');
  expect(repositoryFor('ci_cpu', undefined)).toBe('drydock/ci_cpu');
});

test.each(['ci_cpu', 'ci-gpu', 'ci.lint', 'a__b', 'x9'])('image name %s is valid', (name) => {
  expect(IMAGE_NAME_PATTERN.test(name)).toBe(true);
});

test.each(['CI_cpu', 'ci_', '_ci', 'ci..x', 'ci___x', 'ci/cpu', ''])('image name %j is invalid', (name) => {
  expect(IMAGE_NAME_PATTERN.test(name)).toBe(false);
});
