import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { runCli } from './helpers/cli.js';
import { ensureDebianBase } from './helpers/debian-base.js';
import { commitFiles, createGitRepo } from './helpers/git-repo.js';

interface InventoryJson {
  images: { image: string; os: string | null; debianPackages: number; python: { interpreter: string; primary: boolean; packages: number }[] }[];
  groups: { group: string; images: string[]; missing: string[]; mismatches: { package: string; versions: Record<string, string | null> }[] }[];
}
interface Changes {
  added: Record<string, string>;
  removed: Record<string, string>;
  changed: Record<string, { from: string; to: string }>;
}
interface DiffJson {
  diffs: { image: string; current: { rebuildRunId: string }; baseline: { rebuildRunId: string } | null; diff: { python: Changes; debian: Changes; os: unknown } | null }[];
}

/** A hand-made dist-info folder, which Python's importlib.metadata and pip both read as an installed package. */
function distInfo(version: string): Record<string, string> {
  return {
    [`docker/dist/widget_lib-${version}.dist-info/METADATA`]: `Metadata-Version: 2.1\nName: widget-lib\nVersion: ${version}\n`,
    [`docker/dist/widget_lib-${version}.dist-info/RECORD`]: '',
  };
}

function dockerfile(base: string, packages: string, version: string, extra = ''): string {
  return [
    `FROM ${base}`,
    `RUN apt-get update && apt-get install -y --no-install-recommends ${packages} && rm -rf /var/lib/apt/lists/*`,
    `COPY dist/widget_lib-${version}.dist-info /usr/lib/python3/dist-packages/widget_lib-${version}.dist-info`,
    extra,
  ].join('\n');
}

let workspace: string;
let repo: string;
const nightRuns: string[] = [];

async function runNightly(expectedExit: number): Promise<void> {
  const result = await runCli(['nightly', '--json'], { cwd: workspace });
  expect(result.code, result.stderr).toBe(expectedExit);
  nightRuns.push((JSON.parse(result.stdout) as { run: { rebuildRunId: string } }).run.rebuildRunId);
}

beforeAll(async () => {
  const base = await ensureDebianBase();
  repo = createGitRepo({
    // python3-pip lists with pip; the other image has no pip, so drydock falls back to importlib.metadata.
    'docker/Dockerfile.inv_pip': dockerfile(base, 'python3 python3-pip python3-yaml', '1.4.0'),
    'docker/Dockerfile.inv_plain': dockerfile(base, 'python3 python3-six', '1.2.0'),
    ...distInfo('1.4.0'),
    ...distInfo('1.2.0'),
  });
  workspace = mkdtempSync(path.join(tmpdir(), 'drydock-inventory-'));
  writeFileSync(
    path.join(workspace, 'drydock.yml'),
    `source: { repo: ${repo} }
# apt-get needs the host network here; the layer cache keeps the second night fast.
build: { pull: false, network: host, noCache: false }
state: { dir: ./state }
validate:
  network: none
  tests:
    inv_pip: ["python3 -c 'import yaml'"]
`,
  );
  await runNightly(0);
}, 900_000);

describe('inventory of two Debian images', () => {
  test('reports the group mismatch', async () => {
    const result = await runCli(['inventory', '--json'], { cwd: workspace });
    expect(result.code, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout) as InventoryJson;

    const pip = report.images.find((image) => image.image === 'inv_pip')!;
    expect(pip.os).toBe('Debian GNU/Linux 12 (bookworm)');
    expect(pip.debianPackages).toBeGreaterThan(50);
    expect(pip.python[0]!.interpreter).toBe('/usr/bin/python3');

    expect(report.groups).toHaveLength(1);
    const group = report.groups[0]!;
    expect(group.group).toBe('all');
    expect(group.images).toEqual(['inv_pip', 'inv_plain']);
    const widget = group.mismatches.find((mismatch) => mismatch.package === 'widget-lib');
    expect(widget?.versions).toEqual({ inv_pip: '1.4.0', inv_plain: '1.2.0' });
    // A package that only one image has is not a version mismatch.
    expect(group.mismatches.map((mismatch) => mismatch.package)).not.toContain('pyyaml');
    expect(group.mismatches.map((mismatch) => mismatch.package)).not.toContain('six');
  });

  test('constraints pin the highest version', async () => {
    const result = await runCli(['inventory', 'constraints'], { cwd: workspace });
    expect(result.code, result.stderr).toBe(0);
    const lines = result.stdout.split('\n');
    expect(lines[0]).toBe('# drydock constraints for group all: inv_pip, inv_plain');
    const pin = lines.indexOf('widget-lib==1.4.0');
    expect(pin).toBeGreaterThan(0);
    expect(lines[pin - 1]).toBe('# conflict: widget-lib: inv_pip has 1.4.0, inv_plain has 1.2.0');
    expect(lines.filter((line) => /^pyyaml==\d/.test(line))).toHaveLength(1);
    expect(lines.filter((line) => /^six==\d/.test(line))).toHaveLength(1);
  });

  test('first night has no diff baseline', async () => {
    const result = await runCli(['inventory', '--diff'], { cwd: workspace });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('inv_pip: no earlier green build to compare with');
  });

  test('second night diffs against the green build', async () => {
    commitFiles(
      repo,
      {
        'docker/Dockerfile.inv_pip': dockerfile(await ensureDebianBase(), 'python3 python3-pip python3-yaml', '1.5.0', 'RUN apt-get purge -y python3-yaml\n'),
        ...distInfo('1.5.0'),
      },
      'Upgrade widget-lib and drop PyYAML',
    );
    // Dropping PyYAML breaks the image's test, so this night is not green and the diff still starts at the first night.
    await runNightly(1);

    const result = await runCli(['inventory', '--diff', '--json'], { cwd: workspace });
    expect(result.code, result.stderr).toBe(0);
    const { diffs } = JSON.parse(result.stdout) as DiffJson;

    const pip = diffs.find((entry) => entry.image === 'inv_pip')!;
    expect(pip.current.rebuildRunId).toBe(nightRuns[1]);
    expect(pip.baseline?.rebuildRunId).toBe(nightRuns[0]);
    expect(pip.diff!.python.changed).toEqual({ 'widget-lib': { from: '1.4.0', to: '1.5.0' } });
    expect(Object.keys(pip.diff!.python.removed)).toEqual(['pyyaml']);
    expect(pip.diff!.python.added).toEqual({});
    expect(Object.keys(pip.diff!.debian.removed)).toEqual(['python3-yaml']);
    expect(pip.diff!.debian.added).toEqual({});
    expect(pip.diff!.os).toBeNull();

    const plain = diffs.find((entry) => entry.image === 'inv_plain')!;
    expect(plain.baseline?.rebuildRunId).toBe(nightRuns[0]);
    expect(plain.diff).toEqual({ python: { added: {}, removed: {}, changed: {} }, debian: { added: {}, removed: {}, changed: {} }, os: null });
  });

  test('--image limits the report', async () => {
    const result = await runCli(['inventory', '--image', 'inv_plain', '--diff'], { cwd: workspace });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).not.toContain('inv_pip');
    expect(result.stdout).toContain('Python packages unchanged');

    const unknown = await runCli(['inventory', '--image', 'nope'], { cwd: workspace });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('no inventory of image "nope" is recorded');
  });
});
