import path from 'node:path';
import { simpleGit } from 'simple-git';
import type { CatalogImage } from '../catalog/discover-images.js';
import type { DrydockEnv } from '../config/env.js';
import type { Settings } from '../config/load-config.js';
import { ConfigError, describeError } from '../errors.js';
import { reportFailure, type FiledIssue, type GitHubDependencies } from '../github/file-issue.js';
import { diffInventories } from '../inventory/reports.js';
import type { Logger } from '../logger.js';
import { InventoryStore } from '../store/inventory-store.js';
import type { Store } from '../store/store.js';
import type { FailureCause, ImageResultRecord, RunRecord } from '../store/types.js';
import type { ValidateImageRecord } from '../store/validate-types.js';
import { explainSuspects } from './explain.js';
import { groupFingerprint, signFailure } from './fingerprint.js';
import { toPackageChanges, type PackageChange } from './package-changes.js';
import { findSuspectRange, type GreenBuild, type SuspectRange } from './suspect-range.js';
import { TriageStore, type TriageFailureRecord } from './triage-store.js';
import type { FailureReport } from './types.js';

interface TriageContext {
  settings: Settings;
  env: DrydockEnv;
  store: Store;
  logger: Logger;
  /** The run that failed: a rebuild run for build failures, a validate run for validation failures. */
  run: RunRecord;
  /** The checkout the images were built from. */
  sourceDir: string;
  catalog: CatalogImage[];
  github?: GitHubDependencies;
}

export interface TriageBuildRequest extends TriageContext {
  results: ImageResultRecord[];
}

export interface TriageValidateRequest extends TriageContext {
  /** The rebuild run that built the validated images. */
  rebuildRun: RunRecord;
  images: ValidateImageRecord[];
}

export interface TriageOutcome {
  failures: TriageFailureRecord[];
  issues: FiledIssue[];
  /** Reasons, one line each, that issues which were due were not filed. */
  problems: string[];
}

/**
 * Fingerprints every image that failed to build in a run, records each one
 * with its suspect range, and files or updates the GitHub issues that are
 * due. It catches and logs its own errors, and reports them in `problems`,
 * because triage must not change the run's outcome.
 */
export async function triageBuildFailures(request: TriageBuildRequest): Promise<TriageOutcome> {
  const triage = new TriageStore(request.store.db);
  const failed = request.results.filter((result) => result.status === 'failed' && result.cause !== 'parent' && result.cause !== 'cancelled');

  const outcome = await recordAll(request, failed, (result) => ({
    report: { kind: 'build', runId: request.run.id, image: result.image, failedStep: result.failedStep, error: result.error, cause: result.cause, logPath: result.logPath },
    commit: request.run.commitHash,
    lastGreen: () => triage.findLastGreenBuild(result.image, request.run.id),
    baseImages: result.baseImages,
    // A build that failed has no inventory, so there is no package diff to show.
    packageChanges: () => null,
  }));
  await fileDueIssues(request, triage, outcome, (failure) => triage.countConsecutiveBuildFailures(failure.image, failure.runId, failure.fingerprintId));
  return outcome;
}

/**
 * Fingerprints every image that failed validation, like `triageBuildFailures`.
 * The suspect range starts at the image's last build that passed validation,
 * and the package changes compare that build's inventory with this one's.
 */
export async function triageValidateFailures(request: TriageValidateRequest): Promise<TriageOutcome> {
  const triage = new TriageStore(request.store.db);
  const inventories = new InventoryStore(request.store.db);
  const failed = request.images.filter((image) => (image.status === 'failed' || image.status === 'error') && image.cause !== 'cancelled' && image.cause !== 'not-built');
  const buildResults = new Map(request.store.listImageResults(request.rebuildRun.id).map((result) => [result.image, result]));

  const outcome = await recordAll(request, failed, (image) => ({
    report: {
      kind: 'validate',
      runId: request.run.id,
      image: image.image,
      failedStep: triage.findFailedCommand(request.run.id, image.image),
      error: image.error,
      cause: toFailureCause(image.cause),
      logPath: image.logPath,
    },
    commit: request.rebuildRun.commitHash,
    lastGreen: () => triage.findLastValidatedBuild(image.image, request.rebuildRun.id),
    baseImages: buildResults.get(image.image)?.baseImages ?? {},
    packageChanges: (green) => {
      const before = green === null ? undefined : inventories.get(green.runId, image.image);
      const after = inventories.get(request.rebuildRun.id, image.image);
      return before && after ? toPackageChanges(diffInventories(before, after)) : null;
    },
  }));
  await fileDueIssues(request, triage, outcome, (failure) => triage.countConsecutiveValidateFailures(failure.image, failure.runId, failure.fingerprintId));
  return outcome;
}

/** The facts about one failed image that triage needs, whichever stage it failed in. */
interface FailureSource {
  report: FailureReport;
  commit: string | null;
  lastGreen: () => GreenBuild | null;
  baseImages: Record<string, string | null>;
  packageChanges: (lastGreen: GreenBuild | null) => PackageChange[] | null;
}

async function recordAll<T extends { image: string }>(context: TriageContext, items: T[], describe: (item: T) => FailureSource): Promise<TriageOutcome> {
  const outcome: TriageOutcome = { failures: [], issues: [], problems: [] };
  const triage = new TriageStore(context.store.db);

  for (const item of items) {
    try {
      outcome.failures.push(await recordFailure(context, triage, describe(item)));
    } catch (error) {
      context.logger.error({ err: error, image: item.image }, 'failed to fingerprint image failure');
      outcome.problems.push(`${item.image}: fingerprinting failed: ${describeError(error)}`);
    }
  }
  return outcome;
}

async function recordFailure(context: TriageContext, triage: TriageStore, source: FailureSource): Promise<TriageFailureRecord> {
  const { report } = source;
  const signature = signFailure(report);
  const fingerprintId = groupFingerprint(signature, triage.listFingerprints());
  const suspectRange = await findSuspects(context, source);

  const failure: TriageFailureRecord = {
    runId: report.runId,
    image: report.image,
    kind: report.kind,
    fingerprintId,
    exactId: signature.exactId,
    failureClass: signature.failureClass,
    errorLines: signature.errorLines,
    failedStep: report.failedStep,
    error: report.error,
    logPath: report.logPath,
    suspectRange,
    explanation: suspectRange === null ? null : explainSuspects(suspectRange, report.kind),
    seenAt: context.run.startedAt,
  };
  triage.saveFailure(failure, signature.normalized);
  context.logger.info({ image: report.image, kind: report.kind, fingerprint: fingerprintId, class: signature.failureClass }, 'failure fingerprinted');
  return failure;
}

async function findSuspects(context: TriageContext, source: FailureSource): Promise<SuspectRange | null> {
  const image = context.catalog.find((entry) => entry.name === source.report.image);
  if (!image || source.commit === null) return null;

  const relative = (file: string) => path.relative(context.sourceDir, file).split(path.sep).join('/') || '.';
  const lastGreen = source.lastGreen();
  return findSuspectRange({
    git: simpleGit(context.sourceDir),
    lastGreen,
    commit: source.commit,
    location: { dockerfile: relative(image.dockerfile), context: relative(image.context), buildArgs: image.buildArgs },
    baseImages: source.baseImages,
    packageChanges: source.packageChanges(lastGreen),
  });
}

/**
 * Files one report per fingerprint of this run whose issue is due: the
 * fingerprint has an issue already, or one of its images failed with it
 * `github.autoFileAfter` times in a row.
 */
async function fileDueIssues(
  context: TriageContext,
  triage: TriageStore,
  outcome: TriageOutcome,
  countInARow: (failure: TriageFailureRecord) => number,
): Promise<void> {
  const github = context.settings.github;
  if (github === undefined || github.autoFileAfter === 0) return;

  const byFingerprint = new Map<string, TriageFailureRecord[]>();
  for (const failure of outcome.failures) byFingerprint.set(failure.fingerprintId, [...(byFingerprint.get(failure.fingerprintId) ?? []), failure]);

  for (const [fingerprintId, failures] of byFingerprint) {
    const images = failures.map((failure) => failure.image);
    try {
      const hasIssue = triage.getFingerprint(fingerprintId)?.issueNumber != null;
      const due = failures.find((failure) => hasIssue || countInARow(failure) >= github.autoFileAfter);
      if (!due) continue;

      const others = images.filter((image) => image !== due.image);
      outcome.issues.push(await reportFailure({ ...context, ...context.github, failure: due, otherImages: others }));
    } catch (error) {
      outcome.problems.push(`${images.join(', ')}: the GitHub issue for fingerprint ${fingerprintId} was not filed: ${describeError(error)}`);
      if (error instanceof ConfigError) context.logger.warn({ images, fingerprint: fingerprintId, reason: error.message }, 'GitHub issue not filed');
      else context.logger.error({ err: error, images, fingerprint: fingerprintId }, 'GitHub issue not filed');
    }
  }
}

/** Maps the validate causes that name a failure class by themselves. The log decides the rest. */
function toFailureCause(cause: ValidateImageRecord['cause']): FailureCause | null {
  return cause === 'registry' || cause === 'engine' ? cause : null;
}
