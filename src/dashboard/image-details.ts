import type { InventoryRecord } from '../inventory/types.js';
import type { BuildOutcomeRow } from '../store/dashboard-queries.js';
import { classifyBuild, OUTCOME_STYLES, type Outcome } from './outcome.js';
import type { DashboardData } from './run-details.js';

export interface ImageHistoryEntry {
  build: BuildOutcomeRow;
  outcome: Outcome;
}

export interface ImageDetails {
  image: string;
  /** Builds, newest first, at most `HISTORY_LIMIT`. */
  history: ImageHistoryEntry[];
  lastGreen: ImageHistoryEntry | null;
  lastRed: ImageHistoryEntry | null;
  inventory: InventoryRecord | null;
}

/** How many builds the image page lists and charts. */
export const HISTORY_LIMIT = 365;

/** Gathers what an image page shows, or undefined for an image that was never built. */
export function loadImageDetails(data: DashboardData, image: string): ImageDetails | undefined {
  if (!data.queries.hasImage(image)) return undefined;

  const newestFirst = data.queries.listBuildOutcomes({ image, newestFirst: true, limit: HISTORY_LIMIT });
  const oldest = newestFirst.at(-1);
  let previousIdentity = oldest ? data.queries.listLastBuiltIdentities(oldest.startedAt).get(image) : undefined;
  const history: ImageHistoryEntry[] = [];
  for (const build of [...newestFirst].reverse()) {
    history.unshift({ build, outcome: classifyBuild(build, previousIdentity) });
    if (build.status === 'succeeded') previousIdentity = build.imageId ?? build.digest ?? previousIdentity;
  }

  const withHealth = (health: 'green' | 'red') => history.find((entry) => OUTCOME_STYLES[entry.outcome].health === health) ?? null;
  const inventory = data.inventories.listLatest().find((record) => record.image === image) ?? null;
  return { image, history, lastGreen: withHealth('green'), lastRed: withHealth('red'), inventory };
}
