import path from 'node:path';
import { simpleGit } from 'simple-git';
import type { CatalogImage } from '../catalog/discover-images.js';
import type { DrydockEnv } from '../config/env.js';
import type { Settings } from '../config/load-config.js';
import { ConfigError, describeError } from '../errors.js';
import { reportFailure, type FiledIssue, type GitHubDependencies } from '../github/file-issue.js';
import type { Logger } from '../logger.js';
import type { Store } from '../store/store.js';
import type { ImageResultRecord, RunRecord } from '../store/types.js';
import { explainSuspects } from './explain.js';
import { groupFingerprint, signFailure } from './fingerprint.js';
import { findSuspectRange, type SuspectRange } from './suspect-range.js';
import { TriageStore, type TriageFailureRecord } from './triage-store.js';

export interface TriageBuildRequest {
  settings: Settings;
  env: DrydockEnv;
  store: Store;
  logger: Logger;
  run: RunRecord;
  /** The checkout the run built from. */
  sourceDir: string;
  catalog: CatalogImage[];
  results: ImageResultRecord[];
  github?: GitHubDependencies;
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
 * due. It never throws: a failure to triage is logged and reported in
 * `problems`, because it must not change the run's outcome.
 */
export async function triageBuildFailures(request: TriageBuildRequest): Promise<TriageOutcome> {
  const outcome: TriageOutcome = { failures: [], issues: [], problems: [] };
  const triage = new TriageStore(request.store.db);

  for (const result of request.results) {
    if (result.status !== 'failed' || result.cause === 'parent' || result.cause === 'cancelled') continue;
    try {
      outcome.failures.push(await recordBuildFailure(request, triage, result));
    } catch (error) {
      request.logger.error({ err: error, image: result.image }, 'failed to fingerprint image failure');
      outcome.problems.push(`${result.image}: fingerprinting failed: ${describeError(error)}`);
    }
  }

  await fileDueIssues(request, triage, outcome);
  return outcome;
}

async function recordBuildFailure(request: TriageBuildRequest, triage: TriageStore, result: ImageResultRecord): Promise<TriageFailureRecord> {
  const { run, logger } = request;
  const signature = signFailure({ kind: 'build', runId: run.id, image: result.image, failedStep: result.failedStep, error: result.error, cause: result.cause, logPath: result.logPath });
  const fingerprintId = groupFingerprint(signature, triage.listFingerprints());
  const suspectRange = await findBuildSuspects(request, triage, result);

  const failure: TriageFailureRecord = {
    runId: run.id,
    image: result.image,
    kind: 'build',
    fingerprintId,
    exactId: signature.exactId,
    failureClass: signature.failureClass,
    errorLines: signature.errorLines,
    failedStep: result.failedStep,
    error: result.error,
    logPath: result.logPath,
    suspectRange,
    explanation: suspectRange === null ? null : explainSuspects(suspectRange, 'build'),
    seenAt: run.startedAt,
  };
  triage.saveFailure(failure, signature.normalized);
  logger.info({ image: result.image, fingerprint: fingerprintId, class: signature.failureClass }, 'failure fingerprinted');
  return failure;
}

async function findBuildSuspects(request: TriageBuildRequest, triage: TriageStore, result: ImageResultRecord): Promise<SuspectRange | null> {
  const image = request.catalog.find((entry) => entry.name === result.image);
  if (!image || request.run.commitHash === null) return null;

  const relative = (file: string) => path.relative(request.sourceDir, file).split(path.sep).join('/') || '.';
  return findSuspectRange({
    git: simpleGit(request.sourceDir),
    lastGreen: triage.findLastGreenBuild(result.image, request.run.id),
    commit: request.run.commitHash,
    location: { dockerfile: relative(image.dockerfile), context: relative(image.context), buildArgs: image.buildArgs },
    baseImages: result.baseImages,
    // A build that failed has no inventory, so there is no package diff to show.
    packageChanges: null,
  });
}

/**
 * Files one report per fingerprint of this run whose issue is due: the
 * fingerprint has an issue already, or one of its images failed with it
 * `github.autoFileAfter` times in a row.
 */
async function fileDueIssues(request: TriageBuildRequest, triage: TriageStore, outcome: TriageOutcome): Promise<void> {
  const github = request.settings.github;
  if (github === undefined || github.autoFileAfter === 0) return;

  const byFingerprint = new Map<string, TriageFailureRecord[]>();
  for (const failure of outcome.failures) byFingerprint.set(failure.fingerprintId, [...(byFingerprint.get(failure.fingerprintId) ?? []), failure]);

  for (const [fingerprintId, failures] of byFingerprint) {
    const images = failures.map((failure) => failure.image);
    try {
      const hasIssue = triage.getFingerprint(fingerprintId)?.issueNumber != null;
      const due = failures.find((failure) => hasIssue || triage.countConsecutiveBuildFailures(failure.image, failure.runId, fingerprintId) >= github.autoFileAfter);
      if (!due) continue;

      const others = images.filter((image) => image !== due.image);
      outcome.issues.push(await reportFailure({ ...request, ...request.github, failure: due, otherImages: others }));
    } catch (error) {
      outcome.problems.push(`${images.join(', ')}: the GitHub issue for fingerprint ${fingerprintId} was not filed: ${describeError(error)}`);
      if (error instanceof ConfigError) request.logger.warn({ images, fingerprint: fingerprintId, reason: error.message }, 'GitHub issue not filed');
      else request.logger.error({ err: error, images, fingerprint: fingerprintId }, 'GitHub issue not filed');
    }
  }
}
