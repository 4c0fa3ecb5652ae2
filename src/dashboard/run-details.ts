import { diffInventories, type InventoryDiff } from '../inventory/reports.js';
import type { BuildOutcomeRow, DashboardQueries, TriagedFailure } from '../store/dashboard-queries.js';
import type { InventoryStore } from '../store/inventory-store.js';
import type { Store } from '../store/store.js';
import type { ImageResultRecord, RunRecord } from '../store/types.js';
import type { NightlyLink, ValidateStore } from '../store/validate-store.js';
import type { CommandResultRecord, ValidateImageRecord } from '../store/validate-types.js';
import { classifyBuild, OUTCOME_STYLES, type Outcome } from './outcome.js';

/** The store's read side that the dashboard pages use. */
export interface DashboardData {
  store: Store;
  queries: DashboardQueries;
  validations: ValidateStore;
  inventories: InventoryStore;
}

export interface ValidationDetails {
  record: ValidateImageRecord;
  commands: CommandResultRecord[];
}

/** A build that bounds a suspect range. */
export interface RangeEnd {
  runId: string;
  repo: string | null;
  commitHash: string | null;
  shortCommit: string | null;
  startedAt: string;
}

/** The commits that may have broken an image: after its last green build, up to its first red one. */
export interface SuspectRange {
  lastGreen: RangeEnd | null;
  firstRed: RangeEnd;
}

export interface PackageChangeReport {
  /** The build the inventory is compared with: the last green one, else the previous one with an inventory. */
  baselineRunId: string;
  baselineIsGreen: boolean;
  diff: InventoryDiff;
}

export interface ImageDetails {
  image: string;
  build: ImageResultRecord | null;
  validations: ValidationDetails[];
  outcome: Outcome;
  /** Set for an image whose outcome is red. */
  suspectRange: SuspectRange | null;
  packageChanges: PackageChangeReport | null;
  /** Fingerprints and GitHub issues that triage recorded for this image's failures. */
  triage: TriagedFailure[];
}

export interface RunDetails {
  run: RunRecord;
  /** The rebuild run whose images this page shows; the run itself for a rebuild. */
  rebuildRun: RunRecord | null;
  nightly: NightlyLink | null;
  images: ImageDetails[];
}

/** How far back the suspect range and the last green build are looked for, in builds of one image. */
const HISTORY_LIMIT = 1000;

/**
 * Gathers what a run page shows. A rebuild run shows its builds with every
 * validation of them; a validate run shows its own validations with the
 * builds it tested; a nightly run shows the rebuild and validate it started.
 */
export function loadRunDetails(data: DashboardData, runId: string): RunDetails | undefined {
  const run = data.store.getRun(runId);
  if (!run) return undefined;

  const nightly = run.kind === 'nightly' ? (data.validations.getNightlyLink(run.id) ?? null) : null;
  let rebuildRunId: string | null;
  let validations: ValidateImageRecord[];
  if (run.kind === 'rebuild') {
    rebuildRunId = run.id;
    validations = data.queries.listValidationsOfBuild(run.id);
  } else if (run.kind === 'validate') {
    rebuildRunId = data.validations.getRebuildRunOf(run.id) ?? null;
    validations = data.validations.listImages(run.id);
  } else {
    rebuildRunId = nightly?.rebuildRunId ?? null;
    validations = nightly?.validateRunId
      ? data.validations.listImages(nightly.validateRunId)
      : rebuildRunId
        ? data.queries.listValidationsOfBuild(rebuildRunId)
        : [];
  }

  const rebuildRun = rebuildRunId === null ? null : (data.store.getRun(rebuildRunId) ?? null);
  const builds = rebuildRunId === null ? [] : data.store.listImageResults(rebuildRunId);
  const names = [...new Set([...builds.map((build) => build.image), ...validations.map((record) => record.image)])];
  const triaged = data.queries.listTriagedFailures([
    ...new Set([run.id, ...(rebuildRunId === null ? [] : [rebuildRunId]), ...validations.map((record) => record.runId)]),
  ]);
  const images = names.map((image) => ({
    ...loadImageDetails(
      data,
      rebuildRun,
      builds.find((build) => build.image === image) ?? null,
      validations.filter((record) => record.image === image),
    ),
    triage: triaged.filter((failure) => failure.image === image),
  }));
  return { run, rebuildRun, nightly, images };
}

function loadImageDetails(
  data: DashboardData,
  rebuildRun: RunRecord | null,
  build: ImageResultRecord | null,
  records: ValidateImageRecord[],
): Omit<ImageDetails, 'triage'> {
  const image = build?.image ?? records[0]!.image;
  const validations = records.map((record) => ({ record, commands: data.validations.listCommands(record.runId, image) }));
  if (!rebuildRun || !build) {
    return { image, build, validations, outcome: 'not-run', suspectRange: null, packageChanges: null };
  }

  const [current] = data.queries.listBuildOutcomes({ image, runId: rebuildRun.id });
  const history = data.queries.listBuildOutcomes({ image, before: rebuildRun.startedAt, newestFirst: true, limit: HISTORY_LIMIT });
  const outcome = current ? classifyBuild(current, identityOf(history.find((row) => row.status === 'succeeded'))) : 'not-run';
  const lastGreen = history.find((row) => OUTCOME_STYLES[classifyBuild(row, undefined)].health === 'green');

  let suspectRange: SuspectRange | null = null;
  if (current && OUTCOME_STYLES[outcome].health === 'red') {
    // Walk back over the red builds since the last green one: the earliest of them is where the breakage began.
    let firstRed: BuildOutcomeRow = current;
    for (const row of history) {
      if (row === lastGreen) break;
      if (OUTCOME_STYLES[classifyBuild(row, undefined)].health === 'red') firstRed = row;
    }
    suspectRange = { lastGreen: lastGreen ? toRangeEnd(lastGreen) : null, firstRed: toRangeEnd(firstRed) };
  }

  return { image, build, validations, outcome, suspectRange, packageChanges: loadPackageChanges(data, rebuildRun.id, image, lastGreen) };
}

function loadPackageChanges(
  data: DashboardData,
  rebuildRunId: string,
  image: string,
  lastGreen: BuildOutcomeRow | undefined,
): PackageChangeReport | null {
  const inventory = data.inventories.get(rebuildRunId, image);
  if (!inventory) return null;

  const greenInventory = lastGreen ? data.inventories.get(lastGreen.runId, image) : undefined;
  if (greenInventory) {
    return { baselineRunId: greenInventory.rebuildRunId, baselineIsGreen: true, diff: diffInventories(greenInventory, inventory) };
  }
  const [previous] = data.inventories.listOlder(image, rebuildRunId);
  if (!previous) return null;
  return { baselineRunId: previous.rebuildRunId, baselineIsGreen: false, diff: diffInventories(previous, inventory) };
}

function identityOf(row: BuildOutcomeRow | undefined): string | undefined {
  return row ? (row.imageId ?? row.digest ?? undefined) : undefined;
}

function toRangeEnd(row: BuildOutcomeRow): RangeEnd {
  return { runId: row.runId, repo: row.repo, commitHash: row.commitHash, shortCommit: row.shortCommit, startedAt: row.startedAt };
}
