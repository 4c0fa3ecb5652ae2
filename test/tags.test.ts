import { expect, test } from 'vitest';
import { createRunId, timestampTag } from '../src/pipeline/tags.js';

test('timestamp tag in UTC', () => {
  const startedAt = new Date('2024-03-05T07:08:09.999Z');

  expect(timestampTag(startedAt, 'abc1234')).toBe('2024-03-05-07-08-09-abc1234');
});

test('timestamp tag ignores the local offset', () => {
  const startedAt = new Date('2024-12-31T23:30:00-05:00');

  expect(timestampTag(startedAt, 'deadbee')).toBe('2025-01-01-04-30-00-deadbee');
});

test('timestamp tag is a valid Docker tag', () => {
  const tag = timestampTag(new Date('2030-01-01T00:00:00Z'), '0123456789ab');

  expect(tag).toMatch(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/);
});

test('run id format', () => {
  const id = createRunId(new Date('2024-03-05T07:08:09.123Z'));

  expect(id).toMatch(/^20240305-070809-[0-9a-f]{4}$/);
});

test('run ids sort by start time', () => {
  const earlier = createRunId(new Date('2024-03-05T07:08:09Z'));
  const later = createRunId(new Date('2024-03-05T07:08:10Z'));

  expect(earlier < later).toBe(true);
});

test('run ids differ within a second', () => {
  const startedAt = new Date('2024-03-05T07:08:09Z');

  const ids = new Set(Array.from({ length: 20 }, () => createRunId(startedAt)));

  expect(ids.size).toBeGreaterThan(1);
});
