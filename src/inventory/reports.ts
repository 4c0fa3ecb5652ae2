import { comparePythonVersions, highestVersion } from './versions.js';
import type { Inventory, InventoryRecord } from './types.js';

/** The default consistency group when `validate.inventory.groups` is unset: every image that has Python. */
export const DEFAULT_GROUP = 'all';

export interface VersionMismatch {
  package: string;
  /** Version by image; null where the image lacks the package. */
  versions: Record<string, string | null>;
}

export interface GroupReport {
  group: string;
  /** Images of the group that have an inventory with Python. */
  images: string[];
  /** Images named in the group that have no inventory with Python yet. */
  missing: string[];
  /** Packages installed in two or more of the images at different versions, by name. */
  mismatches: VersionMismatch[];
}

export interface PackageChanges {
  added: Record<string, string>;
  removed: Record<string, string>;
  changed: Record<string, { from: string; to: string }>;
}

export interface InventoryDiff {
  python: PackageChanges;
  debian: PackageChanges;
  /** The OS release before and after, when PRETTY_NAME or VERSION_ID changed. */
  os: { from: string; to: string } | null;
}

/** Returns the Python packages of an image's primary environment, empty when it has no Python. */
export function primaryPackages(inventory: Inventory): Record<string, string> {
  return inventory.python.find((environment) => environment.primary)?.packages ?? {};
}

/**
 * Compares the Python packages of each consistency group. `groups` maps a
 * group name to image names; unset means one group of every image that has
 * Python.
 */
export function findMismatches(latest: InventoryRecord[], groups: Record<string, string[]> | undefined): GroupReport[] {
  const withPython = new Map(latest.filter((record) => record.python.length > 0).map((record) => [record.image, record]));
  const definitions = groups ?? { [DEFAULT_GROUP]: [...withPython.keys()].sort() };

  return Object.entries(definitions).map(([group, names]) => {
    const members = names.filter((name) => withPython.has(name));
    const packagesByImage = new Map(members.map((name) => [name, primaryPackages(withPython.get(name)!)]));
    const allNames = new Set([...packagesByImage.values()].flatMap((packages) => Object.keys(packages)));

    const mismatches: VersionMismatch[] = [];
    for (const name of [...allNames].sort()) {
      const versions = Object.fromEntries(members.map((image) => [image, packagesByImage.get(image)![name] ?? null]));
      const distinct = new Set(Object.values(versions).filter((version): version is string => version !== null));
      if (distinct.size > 1) mismatches.push({ package: name, versions });
    }
    return { group, images: members, missing: names.filter((name) => !withPython.has(name)), mismatches };
  });
}

/** Lists the packages added, removed and changed from `before` to `after`. */
export function diffInventories(before: Inventory, after: Inventory): InventoryDiff {
  const describeOs = (inventory: Inventory) => inventory.osRelease.PRETTY_NAME ?? inventory.osRelease.VERSION_ID ?? '';
  const os = describeOs(before) === describeOs(after) ? null : { from: describeOs(before), to: describeOs(after) };
  return {
    python: diffPackages(primaryPackages(before), primaryPackages(after)),
    debian: diffPackages(before.debian, after.debian),
    os,
  };
}

function diffPackages(before: Record<string, string>, after: Record<string, string>): PackageChanges {
  const changes: PackageChanges = { added: {}, removed: {}, changed: {} };
  for (const name of Object.keys(after).sort()) {
    const old = before[name];
    if (old === undefined) changes.added[name] = after[name]!;
    else if (old !== after[name]) changes.changed[name] = { from: old, to: after[name]! };
  }
  for (const name of Object.keys(before).sort()) {
    if (after[name] === undefined) changes.removed[name] = before[name]!;
  }
  return changes;
}

/** True when a diff lists no change at all. */
export function isEmptyDiff(diff: InventoryDiff): boolean {
  const empty = (changes: PackageChanges) =>
    Object.keys(changes.added).length === 0 && Object.keys(changes.removed).length === 0 && Object.keys(changes.changed).length === 0;
  return diff.os === null && empty(diff.python) && empty(diff.debian);
}

/**
 * Writes a pip constraints file for each group: every package any image of
 * the group has, pinned to the highest version among them, with a comment
 * line before each package whose versions conflict.
 */
export function formatConstraints(latest: InventoryRecord[], reports: GroupReport[]): string {
  const byImage = new Map(latest.map((record) => [record.image, record]));
  const sections = reports.map((report) => {
    const lines = [`# drydock constraints for group ${report.group}: ${report.images.join(', ') || '(no image with Python)'}`];
    if (report.missing.length > 0) lines.push(`# not included, no inventory with Python yet: ${report.missing.join(', ')}`);

    const versionsByPackage = new Map<string, Map<string, string>>();
    for (const image of report.images) {
      for (const [name, version] of Object.entries(primaryPackages(byImage.get(image)!))) {
        const versions = versionsByPackage.get(name) ?? new Map<string, string>();
        versions.set(image, version);
        versionsByPackage.set(name, versions);
      }
    }

    for (const name of [...versionsByPackage.keys()].sort()) {
      const versions = versionsByPackage.get(name)!;
      const distinct = [...new Set(versions.values())].sort(comparePythonVersions);
      if (distinct.length > 1) {
        const detail = [...versions].map(([image, version]) => `${image} has ${version}`).join(', ');
        lines.push(`# conflict: ${name}: ${detail}`);
      }
      lines.push(`${name}==${highestVersion(distinct)!}`);
    }
    return lines.join('\n');
  });
  return `${sections.join('\n\n')}\n`;
}
