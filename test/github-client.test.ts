import { describe, expect, test } from 'vitest';
import { readGitHubConnection } from '../src/github/client.js';
import { isRetryable, retryDelayMs, DEFAULT_RETRY_POLICY } from '../src/github/retry.js';
import { fingerprintMarker, readFingerprintMarker } from '../src/github/issue-marker.js';

describe('readGitHubConnection', () => {
  test('defaults to the public API', () => {
    const connection = readGitHubConnection({ githubToken: 't0ken', githubApiUrl: undefined });

    expect(connection.apiUrl).toBe('https://api.github.com');
    expect(connection.webUrl).toBe('https://github.com');
  });

  test('derives the Enterprise web address', () => {
    const connection = readGitHubConnection({ githubToken: 't0ken', githubApiUrl: 'https://ghe.example.invalid/api/v3/' });

    expect(connection.apiUrl).toBe('https://ghe.example.invalid/api/v3');
    expect(connection.webUrl).toBe('https://ghe.example.invalid');
  });

  test('missing token names GITHUB_TOKEN', () => {
    expect(() => readGitHubConnection({ githubToken: undefined, githubApiUrl: undefined })).toThrow('GITHUB_TOKEN is not set');
  });

  test.each(['not a url', 'ftp://ghe.example.invalid/api/v3'])('rejects GITHUB_API_URL %s', (value) => {
    expect(() => readGitHubConnection({ githubToken: 't0ken', githubApiUrl: value })).toThrow(`GITHUB_API_URL = ${JSON.stringify(value)}`);
  });
});

describe('retry rules', () => {
  const withStatus = (status: number, headers: Record<string, string> = {}) => Object.assign(new Error('x'), { status, response: { headers } });

  test.each([
    [500, {}, true],
    [502, {}, true],
    [429, {}, true],
    [403, { 'x-ratelimit-remaining': '0' }, true],
    [403, {}, false],
    [401, {}, false],
    [404, {}, false],
    [422, {}, false],
  ])('status %i with %o retries: %s', (status, headers, expected) => {
    expect(isRetryable(withStatus(status, headers))).toBe(expected);
  });

  test('no response is retried', () => {
    expect(isRetryable(new TypeError('fetch failed'))).toBe(true);
  });

  test('backoff doubles and retry-after wins', () => {
    expect([0, 1, 2].map((attempt) => retryDelayMs(withStatus(502), attempt, DEFAULT_RETRY_POLICY))).toEqual([1000, 2000, 4000]);
    expect(retryDelayMs(withStatus(429, { 'retry-after': '7' }), 0, DEFAULT_RETRY_POLICY)).toBe(7000);
    expect(retryDelayMs(withStatus(429, { 'retry-after': '3600' }), 0, DEFAULT_RETRY_POLICY)).toBe(60_000);
  });
});

test('fingerprint marker round-trips', () => {
  expect(readFingerprintMarker(`text\n\n${fingerprintMarker('3f9a1c0b2d4e')}\n`)).toBe('3f9a1c0b2d4e');
  expect(readFingerprintMarker('no marker here')).toBeUndefined();
  expect(readFingerprintMarker(null)).toBeUndefined();
});
