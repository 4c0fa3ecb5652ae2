import { expect, test } from 'vitest';
import { DashboardLinks } from '../src/dashboard/links.js';
import { renderSummary, type SummaryState } from '../src/discord/render-summary.js';
import type { ImageValidationOutcome } from '../src/scheduler/job.js';
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
    validations: new Map(),
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

function validationOf(image: ImageResultRecord, index: number): ImageValidationOutcome {
  const failed = index % 2 === 0;
  const command = `python3 -m pytest tests/python/${'z'.repeat(80)} -k test_${index}`;
  return {
    record: {
      runId: '20250110-061500-0002',
      image: image.image,
      rebuildRunId: image.runId,
      status: failed ? 'failed' : 'passed',
      reference: null,
      logPath: `/state/logs/${image.image}.validate.log`,
      error: failed ? `1 of 3 test commands failed: ${command}` : null,
      cause: failed ? 'tests' : null,
      inventoryError: null,
      durationMs: 1_234_000,
      startedAt: null,
      finishedAt: null,
    },
    regressions: failed ? [command, `${command} --second`] : [],
    sourceFailures: failed && index % 4 === 0 ? [command] : [],
    unclassified: [],
  };
}

test.each([
  [12, 8],
  [12, 60],
  [200, 60],
])('nightly with validation of %i images of %i characters fits', (count, nameLength) => {
  const state = stateFor(count, nameLength);
  const built = state.images.filter((image) => image.status === 'succeeded');
  const outcomes = built.map(validationOf);
  state.result = { ...state.result!, validation: { runId: '20250110-061500-0002', rebuildRunId: state.runId!, status: 'failed', images: outcomes } };
  for (const outcome of outcomes) state.validations.set(outcome.record.image, outcome.record);

  const body = renderSummary(state);

  expect(findMessageProblem(body)).toBeUndefined();
  const embed = (body.embeds as { description: string; fields: { name: string; value: string }[] }[])[0]!;
  expect(embed.fields.find((field) => field.name === 'Tests')?.value).toMatch(/failed/);
  expect(embed.fields.find((field) => field.name === 'Image regressions')?.value).toContain(outcomes[0]!.record.image);
  if (count === 12 && nameLength === 8) {
    expect(embed.description).toContain('tests failed in 20m 34s: image regression in');
    expect(embed.description).toContain('[test log](');
  }
});
