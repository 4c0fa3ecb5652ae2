import type { InventoryDiff, PackageChanges } from '../inventory/reports.js';

/** One package whose version differs between the last green build and this one. */
export interface PackageChange {
  manager: 'pip' | 'debian';
  name: string;
  /** Null when the package is new. */
  before: string | null;
  /** Null when the package was removed. */
  after: string | null;
}

const MANAGER_WORDS: Record<PackageChange['manager'], [one: string, many: string]> = {
  pip: ['pip package', 'pip packages'],
  debian: ['Debian package', 'Debian packages'],
};

/** Counts changes by manager in words, such as `3 pip packages` and `1 Debian package`. */
export function countPackageChanges(changes: readonly PackageChange[]): string[] {
  const phrases: string[] = [];
  for (const manager of ['pip', 'debian'] as const) {
    const count = changes.filter((change) => change.manager === manager).length;
    if (count === 0) continue;
    const [one, many] = MANAGER_WORDS[manager];
    phrases.push(`${count} ${count === 1 ? one : many}`);
  }
  return phrases;
}

/** Formats one change as `numpy 1.26.4 -> 2.0.0`, `+ attrs 23.2.0` or `- six 1.16.0`. */
export function formatPackageChange(change: PackageChange): string {
  const label = change.manager === 'pip' ? change.name : `${change.name} (deb)`;
  if (change.before === null) return `+ ${label} ${change.after ?? ''}`.trimEnd();
  if (change.after === null) return `- ${label} ${change.before}`;
  return `${label} ${change.before} -> ${change.after}`;
}

/** Flattens an inventory diff into one change per package, pip first, each sorted by name. */
export function toPackageChanges(diff: InventoryDiff): PackageChange[] {
  return [...flatten('pip', diff.python), ...flatten('debian', diff.debian)];
}

function flatten(manager: PackageChange['manager'], changes: PackageChanges): PackageChange[] {
  const entries: PackageChange[] = [
    ...Object.entries(changes.changed).map(([name, { from, to }]) => ({ manager, name, before: from, after: to })),
    ...Object.entries(changes.added).map(([name, version]) => ({ manager, name, before: null, after: version })),
    ...Object.entries(changes.removed).map(([name, version]) => ({ manager, name, before: version, after: null })),
  ];
  return entries.sort((a, b) => a.name.localeCompare(b.name));
}
