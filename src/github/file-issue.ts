import type { Octokit } from '@octokit/rest';
import type { DrydockEnv } from '../config/env.js';
import type { Settings } from '../config/load-config.js';
import { DashboardLinks } from '../dashboard/links.js';
import { ConfigError } from '../errors.js';
import type { Logger } from '../logger.js';
import { redactSecrets, secretValues } from '../secrets.js';
import type { Store } from '../store/store.js';
import { readLogTail } from '../triage/log-tail.js';
import { TriageStore, type TriageFailureRecord } from '../triage/triage-store.js';
import { createOctokit, readGitHubConnection } from './client.js';
import { ISSUE_LOG_LINES, renderComment, renderIssueBody, renderIssueTitle, type IssueFailure } from './issue-body.js';
import { IssueTracker, type IssueOutcome } from './issue-tracker.js';
import type { RetryPolicy } from './retry.js';

/** Clients and clock for reaching GitHub. Tests pass their own. */
export interface GitHubDependencies {
  octokit?: Octokit;
  retry?: RetryPolicy;
  clock?: () => Date;
}

export interface FileIssueRequest extends GitHubDependencies {
  store: Store;
  settings: Settings;
  env: DrydockEnv;
  logger: Logger;
  image: string;
  /** The run whose failure to file; the image's newest recorded failure when unset. */
  runId?: string;
}

export interface FiledIssue extends IssueOutcome {
  fingerprintId: string;
}

/**
 * Files the GitHub issue of an image's recorded failure, or comments on the
 * fingerprint's issue or reopens it, and returns the issue's address. The
 * `/file-issue` command and the thread's button call it, and they check
 * that the user is a committer first.
 */
export async function fileIssueForFailure(request: FileIssueRequest): Promise<FiledIssue> {
  const triage = new TriageStore(request.store.db);
  const failure = request.runId === undefined ? triage.findLatestFailure(request.image) : triage.getFailure(request.runId, request.image, 'build') ?? triage.getFailure(request.runId, request.image, 'validate');
  if (!failure) {
    const where = request.runId === undefined ? '' : ` in run ${request.runId}`;
    throw new ConfigError(`no failure of image ${request.image}${where} is recorded`, {
      fix: 'name an image and run that failed; drydock triage lists the recorded failures',
    });
  }
  return reportFailure({ ...request, failure, otherImages: [] });
}

export interface ReportFailureRequest extends GitHubDependencies {
  store: Store;
  settings: Settings;
  env: DrydockEnv;
  logger: Logger;
  failure: TriageFailureRecord;
  /** Other images with the same fingerprint in the same run, named in the same report. */
  otherImages: string[];
}

/** Reports one recorded failure on GitHub and records the issue on its fingerprint. */
export async function reportFailure(request: ReportFailureRequest): Promise<FiledIssue> {
  const { settings, failure, logger } = request;
  const github = settings.github;
  if (github === undefined) {
    throw new ConfigError('github.repo is not set, so drydock does not know where to file issues', {
      fix: 'add github: { repo: owner/name } to drydock.yml',
    });
  }
  const connection = readGitHubConnection(request.env);
  const octokit = request.octokit ?? createOctokit(connection, logger);
  const tracker = new IssueTracker(octokit, {
    repo: github.repo,
    labels: github.labels,
    reopenWindowDays: github.reopenWindowDays,
    host: connection.apiUrl,
    logger,
    retry: request.retry,
    clock: request.clock,
  });

  const triage = new TriageStore(request.store.db);
  const fingerprint = triage.getFingerprint(failure.fingerprintId);
  const content = describeForIssue(request);
  const repositoryUrl = `${connection.webUrl}/${github.repo}`;
  const outcome = await tracker.report({
    fingerprintId: failure.fingerprintId,
    runId: failure.runId,
    title: renderIssueTitle(content),
    renderBody: (previous) => renderIssueBody(content, repositoryUrl, previous),
    renderComment: (reopened) => renderComment(content, repositoryUrl, reopened),
    knownIssue: fingerprint?.issueNumber ?? null,
  });
  triage.setIssue(failure.fingerprintId, outcome);
  return { ...outcome, fingerprintId: failure.fingerprintId };
}

/** Gathers the content of an issue about a failure, with secrets redacted from every text that comes from a log. */
function describeForIssue(request: ReportFailureRequest): IssueFailure {
  const { failure, settings } = request;
  const run = request.store.getRun(failure.runId);
  const secrets = secretValues();
  const redact = (text: string | null) => (text === null ? null : redactSecrets(text, secrets));
  const logTail = failure.logPath === null ? [] : readLogTail(failure.logPath, ISSUE_LOG_LINES).map((line) => redactSecrets(line, secrets));
  const links = new DashboardLinks(settings.dashboard.publicUrl ?? `http://${settings.dashboard.listen}`, settings.source.repo);

  return {
    fingerprintId: failure.fingerprintId,
    failureClass: failure.failureClass,
    image: failure.image,
    otherImages: request.otherImages,
    kind: failure.kind,
    runId: failure.runId,
    commit: run?.commitHash ?? null,
    commitSubject: run?.commitSubject ?? null,
    failedStep: redact(failure.failedStep),
    error: redact(failure.error),
    logTail,
    explanation: failure.explanation,
    suspectRange: failure.suspectRange,
    runUrl: links.absolute(links.run(failure.runId)),
    logUrl: failure.logPath === null ? null : links.absolute(links.log(failure.runId, failure.image, failure.kind)),
  };
}
