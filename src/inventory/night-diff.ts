import type { InventoryStore } from '../store/inventory-store.js';
import type { ValidateStore } from '../store/validate-store.js';
import { diffInventories, type InventoryDiff } from './reports.js';
import type { InventoryRecord } from './types.js';

export interface ImageDiff {
  image: string;
  current: { rebuildRunId: string; takenAt: string };
  /** The previous build whose validation passed, or null when there is none. */
  baseline: { rebuildRunId: string; takenAt: string } | null;
  diff: InventoryDiff | null;
}

/** Diffs each image's newest inventory against the one of its previous green build. */
export function diffSinceGreen(latest: InventoryRecord[], inventories: InventoryStore, validations: ValidateStore): ImageDiff[] {
  return latest.map((current) => {
    const baseline = inventories
      .listOlder(current.image, current.rebuildRunId)
      .find((older) => validations.isGreenBuild(older.rebuildRunId, older.image));
    return {
      image: current.image,
      current: { rebuildRunId: current.rebuildRunId, takenAt: current.takenAt },
      baseline: baseline ? { rebuildRunId: baseline.rebuildRunId, takenAt: baseline.takenAt } : null,
      diff: baseline ? diffInventories(baseline, current) : null,
    };
  });
}
