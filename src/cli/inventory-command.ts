import { existsSync } from 'node:fs';
import path from 'node:path';
import { readEnv } from '../config/env.js';
import { loadSettings, type Settings } from '../config/load-config.js';
import { ConfigError } from '../errors.js';
import { diffSinceGreen, type ImageDiff } from '../inventory/night-diff.js';
import { findMismatches, formatConstraints, type GroupReport, type PackageChanges } from '../inventory/reports.js';
import type { InventoryRecord } from '../inventory/types.js';
import { InventoryStore } from '../store/inventory-store.js';
import { Store } from '../store/store.js';
import { ValidateStore } from '../store/validate-store.js';

export interface InventoryFlags {
  config?: string;
  stateDir?: string;
  image?: string;
  diff?: boolean;
  json?: boolean;
}

/** Prints the consistency-group mismatches, or with --diff the changes since each image's previous green build. */
export function runInventoryCommand(flags: InventoryFlags): number {
  return withInventories(flags, (latest, store, settings) => {
    if (flags.image !== undefined && !latest.some((record) => record.image === flags.image)) {
      throw new ConfigError(`no inventory of image ${JSON.stringify(flags.image)} is recorded`, {
        fix: `choose from: ${latest.map((record) => record.image).join(', ') || '(none yet: run drydock validate)'}`,
      });
    }

    if (flags.diff) {
      const diffs = diffSinceGreen(latest, new InventoryStore(store.db), new ValidateStore(store.db)).filter(
        (entry) => flags.image === undefined || entry.image === flags.image,
      );
      process.stdout.write(flags.json ? `${JSON.stringify({ diffs }, null, 2)}\n` : formatDiffs(diffs));
      return 0;
    }

    const groups = findMismatches(latest, settings.validate.inventory.groups)
      .filter((group) => flags.image === undefined || group.images.includes(flags.image))
      .map((group) => (flags.image === undefined ? group : onlyImage(group, flags.image)));
    const images = latest
      .filter((record) => flags.image === undefined || record.image === flags.image)
      .map((record) => summarize(record));
    process.stdout.write(flags.json ? `${JSON.stringify({ images, groups }, null, 2)}\n` : formatMismatches(images, groups));
    return 0;
  });
}

/** Prints a pip constraints file for each consistency group. */
export function runConstraintsCommand(flags: Pick<InventoryFlags, 'config' | 'stateDir'>): number {
  return withInventories(flags, (latest, _store, settings) => {
    process.stdout.write(formatConstraints(latest, findMismatches(latest, settings.validate.inventory.groups)));
    return 0;
  });
}

function withInventories(flags: Pick<InventoryFlags, 'config' | 'stateDir'>, work: (latest: InventoryRecord[], store: Store, settings: Settings) => number): number {
  const settings = loadSettings({ config: flags.config, stateDir: flags.stateDir }, readEnv());
  const file = path.join(settings.stateDir, 'drydock.db');
  if (!existsSync(file)) {
    throw new ConfigError(`no store at ${file}, so no inventory is recorded`, { fix: 'run drydock validate or drydock nightly first, or pass --state-dir' });
  }
  const store = Store.open(file);
  try {
    return work(new InventoryStore(store.db).listLatest(), store, settings);
  } finally {
    store.close();
  }
}

function onlyImage(group: GroupReport, image: string): GroupReport {
  return { ...group, mismatches: group.mismatches.filter((mismatch) => mismatch.versions[image] !== null) };
}

function summarize(record: InventoryRecord) {
  return {
    image: record.image,
    rebuildRunId: record.rebuildRunId,
    takenAt: record.takenAt,
    os: record.osRelease.PRETTY_NAME ?? null,
    debianPackages: Object.keys(record.debian).length,
    python: record.python.map((environment) => ({
      interpreter: environment.interpreter,
      virtualenv: environment.virtualenv,
      primary: environment.primary,
      packages: Object.keys(environment.packages).length,
    })),
  };
}

function formatMismatches(images: ReturnType<typeof summarize>[], groups: GroupReport[]): string {
  const lines = ['Images:'];
  for (const image of images) {
    const python = image.python.find((environment) => environment.primary);
    lines.push(
      `  ${image.image}: ${image.os ?? 'unknown OS'}, ${image.debianPackages} Debian packages, ` +
        `${python ? `${python.packages} Python packages in ${python.interpreter}` : 'no Python'} (build ${image.rebuildRunId})`,
    );
  }
  for (const group of groups) {
    lines.push('', `Group ${group.group} (${group.images.join(', ') || 'no image with Python'}):`);
    if (group.missing.length > 0) lines.push(`  no inventory with Python: ${group.missing.join(', ')}`);
    if (group.mismatches.length === 0) lines.push('  Python package versions agree');
    for (const mismatch of group.mismatches) {
      const versions = Object.entries(mismatch.versions).map(([image, version]) => `${image} ${version ?? '(absent)'}`);
      lines.push(`  ${mismatch.package}: ${versions.join(', ')}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

function formatDiffs(diffs: ImageDiff[]): string {
  const lines: string[] = [];
  for (const entry of diffs) {
    if (!entry.baseline || !entry.diff) {
      lines.push(`${entry.image}: no earlier green build to compare with`);
      continue;
    }
    lines.push(`${entry.image}: build ${entry.current.rebuildRunId} since green build ${entry.baseline.rebuildRunId}`);
    if (entry.diff.os) lines.push(`  OS: ${entry.diff.os.from} -> ${entry.diff.os.to}`);
    lines.push(...formatChanges('Python', entry.diff.python), ...formatChanges('Debian', entry.diff.debian));
  }
  return `${lines.join('\n')}\n`;
}

function formatChanges(kind: string, changes: PackageChanges): string[] {
  const lines = [
    ...Object.entries(changes.added).map(([name, version]) => `  + ${kind} ${name} ${version}`),
    ...Object.entries(changes.removed).map(([name, version]) => `  - ${kind} ${name} ${version}`),
    ...Object.entries(changes.changed).map(([name, { from, to }]) => `  ~ ${kind} ${name} ${from} -> ${to}`),
  ];
  return lines.length > 0 ? lines : [`  ${kind} packages unchanged`];
}
