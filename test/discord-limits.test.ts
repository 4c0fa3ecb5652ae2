import { expect, test } from 'vitest';
import { DashboardLinks } from '../src/dashboard/links.js';
import { renderSummary, type SummaryState } from '../src/discord/render-summary.js';
import type { ImageResultRecord } from '../src/store/types.js';
import { findMessageProblem } from './fakes/discord/fake-discord.js';

function imageResult(index: number, status: ImageResultRecord['status'], nameLength: number): ImageResultRecord {
  const name = `ci_${String(index).padStart(2, '0')}_${'x'.repeat(nameLength)}`;
  return {
    runId: '20250110-050000-0001',
    image: name,
    status,
    engine: 'default',
    notes: [],
    tags: [`registry.invalid/tlcpackstaging/${name}:latest`, `registry.invalid/tlcpackstaging/${name}:2025-01-10-05-00-00-abc1234`],
    digest: null,
    imageId: null,
    sizeBytes: null,
    durationMs: 3_723_000,
    logPath: `/state/logs/${name}.build.log`,
    failedStep: status === 'failed' ? `Step 7/9 : RUN bash /install/ubuntu_install_${'y'.repeat(60)}.sh` : null,
    error: null,
    cause: status === 'failed' ? 'build' : null,
    baseImages: {},
    startedAt: null,
    finishedAt: null,
  };
}

function stateFor(count: number, nameLength: number): SummaryState {
  const images = Array.from({ length: count }, (_, index) => imageResult(index, index % 3 === 0 ? 'failed' : 'succeeded', nameLength));
  return {
    job: { id: 'nightly-2025-01-10T05:00', kind: 'nightly', images: undefined, trigger: 'schedule', requestedBy: null, requestedAt: new Date(), controller: new AbortController() },
    runId: '20250110-050000-0001',
    images,
    done: count,
    total: count,
    result: { runId: '20250110-050000-0001', status: 'failed', shortCommit: 'abc1234', commitSubject: 's'.repeat(300), repo: 'https://github.com/apache/tvm.git', startedAt: '', finishedAt: '', images, tag: '2025-01-10-05-00-00-abc1234' },
    threads: new Map(images.filter((image) => image.status === 'failed').map((image) => [image.image, `<#{{id:thread:${image.image}:0123456789ab:20250110-050000-0001}}>`])),
    links: new DashboardLinks(`https://ci.example.org/${'drydock/'.repeat(8)}`, null),
  };
}

test.each([
  [12, 8],
  [12, 60],
  [40, 30],
  [200, 60],
])('summary of %i images with names of %i characters fits', (count, nameLength) => {
  const body = renderSummary(stateFor(count, nameLength));

  expect(findMessageProblem(body)).toBeUndefined();
  const embed = (body.embeds as { description: string; fields: unknown[] }[])[0]!;
  expect(embed.description.length).toBeLessThanOrEqual(4096);
  expect(embed.fields.length).toBeLessThanOrEqual(25);
  // Every failed image stays named, whatever is shortened.
  for (const image of stateFor(count, nameLength).images.filter((entry) => entry.status === 'failed').slice(0, 10)) {
    expect(embed.description).toContain(image.image);
  }
});

test('summary of 12 short images keeps every link', () => {
  const embed = (renderSummary(stateFor(12, 8)).embeds as { description: string }[])[0]!;

  expect(embed.description.split('\n')).toHaveLength(12);
  expect(embed.description.match(/\[log\]\(/g)).toHaveLength(12);
});
