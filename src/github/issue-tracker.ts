import type { Octokit } from '@octokit/rest';
import type { Logger } from '../logger.js';
import { readFingerprintMarker, runMarker } from './issue-marker.js';
import { DEFAULT_RETRY_POLICY, GitHubUnavailableError, isRetryable, retryDelayMs, statusOf, withGitHubRetry, type RetryPolicy } from './retry.js';
import { GitHubComment, GitHubIssue, GitHubIssueList } from './schema.js';

const DAY_MS = 24 * 60 * 60 * 1000;
/** Issues requested per page when listing by label; GitHub's maximum. */
const PAGE_SIZE = 100;

export interface IssueTrackerOptions {
  /** owner/name */
  repo: string;
  labels: string[];
  reopenWindowDays: number;
  /** The API address, for messages and logs. */
  host: string;
  logger: Logger;
  retry?: RetryPolicy;
  clock?: () => Date;
}

/** The result of one report on GitHub. `unchanged` means the issue already reported this run. */
export interface IssueOutcome {
  action: 'created' | 'commented' | 'reopened' | 'unchanged';
  number: number;
  url: string;
}

/** The texts of one report; `render*` get the issue they go to. */
export interface IssueReport {
  fingerprintId: string;
  runId: string;
  title: string;
  renderBody: (previousIssue?: { number: number; url: string }) => string;
  renderComment: (reopened: boolean) => string;
  /** An issue number drydock recorded for this fingerprint before; checked first. */
  knownIssue?: number | null;
}

/**
 * Files and updates the issues of one repository, one issue per
 * fingerprint: an open issue with the fingerprint's marker gets a comment,
 * one closed within `reopenWindowDays` is reopened with a comment, and
 * otherwise a new issue is filed. Every request is retried on 5xx and 429,
 * and a create or comment that failed is looked up before it is sent again,
 * because GitHub may have stored it before the error.
 */
export class IssueTracker {
  private readonly owner: string;
  private readonly name: string;
  private readonly retry: RetryPolicy;
  private readonly clock: () => Date;

  constructor(
    private readonly octokit: Octokit,
    private readonly options: IssueTrackerOptions,
  ) {
    [this.owner, this.name] = options.repo.split('/') as [string, string];
    this.retry = options.retry ?? DEFAULT_RETRY_POLICY;
    this.clock = options.clock ?? (() => new Date());
  }

  async report(report: IssueReport): Promise<IssueOutcome> {
    const existing = await this.findIssue(report.fingerprintId, report.knownIssue ?? null);
    if (existing?.state === 'open') return this.comment(existing, report, false);
    if (existing && this.isInReopenWindow(existing)) {
      await this.call('reopen an issue', () => this.octokit.rest.issues.update({ owner: this.owner, repo: this.name, issue_number: existing.number, state: 'open' }));
      this.options.logger.info({ issue: existing.number, fingerprint: report.fingerprintId }, 'reopened GitHub issue');
      const outcome = await this.comment(existing, report, true);
      return { ...outcome, action: 'reopened' };
    }
    const previous = existing ? { number: existing.number, url: existing.html_url } : undefined;
    return this.create(report, previous);
  }

  /**
   * Finds the issue of a fingerprint: the recorded one when its body still
   * contains the marker, else an open one among the issues with drydock's
   * labels, else the one closed last.
   */
  async findIssue(fingerprintId: string, knownIssue: number | null): Promise<GitHubIssue | undefined> {
    if (knownIssue !== null) {
      const known = await this.getIssue(knownIssue);
      if (known && readFingerprintMarker(known.body) === fingerprintId && known.state === 'open') return known;
    }

    const matches: GitHubIssue[] = [];
    for (let page = 1; ; page++) {
      const response = await this.call('list issues', () =>
        this.octokit.rest.issues.listForRepo({ owner: this.owner, repo: this.name, state: 'all', labels: this.options.labels.join(','), per_page: PAGE_SIZE, page }),
      );
      const issues = GitHubIssueList.parse(response.data);
      matches.push(...issues.filter((issue) => issue.pull_request === undefined && readFingerprintMarker(issue.body) === fingerprintId));
      if (issues.length < PAGE_SIZE) break;
    }

    const open = matches.find((issue) => issue.state === 'open');
    if (open) return open;
    return matches.sort((a, b) => (b.closed_at ?? '').localeCompare(a.closed_at ?? ''))[0];
  }

  private async getIssue(number: number): Promise<GitHubIssue | undefined> {
    try {
      const response = await this.call('read an issue', () => this.octokit.rest.issues.get({ owner: this.owner, repo: this.name, issue_number: number }));
      return GitHubIssue.parse(response.data);
    } catch (error) {
      // A deleted or transferred issue: fall back to the label search.
      if (statusOf(error) === 404 || statusOf(error) === 410) return undefined;
      throw error;
    }
  }

  private isInReopenWindow(issue: GitHubIssue): boolean {
    if (!issue.closed_at) return false;
    const closedAgoMs = this.clock().getTime() - Date.parse(issue.closed_at);
    return closedAgoMs <= this.options.reopenWindowDays * DAY_MS;
  }

  private async create(report: IssueReport, previous: { number: number; url: string } | undefined): Promise<IssueOutcome> {
    const body = report.renderBody(previous);
    for (let attempt = 0; ; attempt++) {
      try {
        const response = await this.octokit.rest.issues.create({ owner: this.owner, repo: this.name, title: report.title, body, labels: this.options.labels });
        const issue = GitHubIssue.parse(response.data);
        this.options.logger.info({ issue: issue.number, fingerprint: report.fingerprintId }, 'filed GitHub issue');
        return { action: 'created', number: issue.number, url: issue.html_url };
      } catch (error) {
        if (!isRetryable(error)) throw error;
        if (attempt >= this.retry.retries) throw new GitHubUnavailableError(this.options.host, 'file an issue', statusOf(error), error);
        await this.waitBeforeRetry('file an issue', error, attempt);

        // GitHub may have stored the issue before the error response.
        const filed = await this.findIssue(report.fingerprintId, null);
        if (filed?.state === 'open') return { action: 'created', number: filed.number, url: filed.html_url };
      }
    }
  }

  private async comment(issue: GitHubIssue, report: IssueReport, reopened: boolean): Promise<IssueOutcome> {
    const outcome = { number: issue.number, url: issue.html_url };
    if (issue.body?.includes(runMarker(report.runId)) || (await this.hasRunComment(issue.number, report.runId))) {
      return { action: 'unchanged', ...outcome };
    }

    const body = report.renderComment(reopened);
    for (let attempt = 0; ; attempt++) {
      try {
        const response = await this.octokit.rest.issues.createComment({ owner: this.owner, repo: this.name, issue_number: issue.number, body });
        GitHubComment.parse(response.data);
        this.options.logger.info({ issue: issue.number, fingerprint: report.fingerprintId }, 'commented on GitHub issue');
        return { action: 'commented', ...outcome };
      } catch (error) {
        if (!isRetryable(error)) throw error;
        if (attempt >= this.retry.retries) throw new GitHubUnavailableError(this.options.host, 'comment on an issue', statusOf(error), error);
        await this.waitBeforeRetry('comment on an issue', error, attempt);
        if (await this.hasRunComment(issue.number, report.runId)) return { action: 'commented', ...outcome };
      }
    }
  }

  /** True when a comment on the issue already reports this run. */
  private async hasRunComment(number: number, runId: string): Promise<boolean> {
    const comments = await this.call('list comments', () =>
      this.octokit.paginate(this.octokit.rest.issues.listComments, { owner: this.owner, repo: this.name, issue_number: number, per_page: PAGE_SIZE }),
    );
    return comments.some((comment) => (comment.body ?? '').includes(runMarker(runId)));
  }

  private async waitBeforeRetry(action: string, error: unknown, attempt: number): Promise<void> {
    const delayMs = retryDelayMs(error, attempt, this.retry);
    this.options.logger.warn({ github: this.options.host, action, status: statusOf(error), attempt: attempt + 1, delayMs }, 'GitHub request failed, retrying');
    await this.retry.sleep(delayMs);
  }

  private call<T>(action: string, operation: () => Promise<T>): Promise<T> {
    return withGitHubRetry(action, operation, { host: this.options.host, policy: this.retry, logger: this.options.logger });
  }
}
