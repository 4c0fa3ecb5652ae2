import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect, test } from 'vitest';
import { runCli } from './helpers/cli.js';
import { createGitRepo } from './helpers/git-repo.js';
import { BUSYBOX_IMAGE } from './helpers/images.js';

test('failed validation reaches triage and status', async () => {
  const repo = createGitRepo({
    'docker/Dockerfile.vt_image': `FROM ${BUSYBOX_IMAGE}\nRUN echo built > /built\n`,
    'tests/scripts/task_unit.sh': 'echo "running unit tests"\necho "FAILED tests/test_widget.py::test_area - AssertionError: 6 != 7"\nexit 1\n',
  });
  const workspace = mkdtempSync(path.join(tmpdir(), 'drydock-work-'));
  writeFileSync(
    path.join(workspace, 'drydock.yml'),
    `source: { repo: ${repo} }\nbuild: { pull: false }\nvalidate: { network: none, tests: { vt_image: ["sh tests/scripts/task_unit.sh"] } }\n`,
  );

  const nightly = await runCli(['nightly', '--json'], { cwd: workspace });
  const triage = await runCli(['triage', '--json'], { cwd: workspace });
  const fingerprints = (JSON.parse(triage.stdout) as { fingerprints: { class: string; images: string[]; latest: { kind: string; runId: string } }[] }).fingerprints;
  const validateRunId = (JSON.parse(nightly.stdout) as { validate: { id: string } }).validate.id;

  expect(nightly.code).toBe(1);
  expect(triage.code).toBe(0);
  expect(fingerprints).toHaveLength(1);
  expect(fingerprints[0]!.images).toEqual(['vt_image']);
  expect(fingerprints[0]!.class).toBe('test-failure');
  expect(fingerprints[0]!.latest.kind).toBe('validate');
  expect(fingerprints[0]!.latest.runId).toBe(validateRunId);

  const status = await runCli(['status', '--days', '2'], { cwd: workspace });
  const row = status.stdout.split('\n').find((line) => line.startsWith('vt_image'));
  expect(row?.trim().endsWith('!')).toBe(true);
  expect(status.stdout).toContain('! validation failed');
});
