import { FAILURE_CLASS_TITLES, type FailureClass, type FailureKind } from '../triage/types.js';
import { formatPackageChange } from '../triage/package-changes.js';
import type { SuspectRange } from '../triage/suspect-range.js';
import { fingerprintMarker, runMarker } from './issue-marker.js';

/** Log lines quoted in a new issue. */
export const ISSUE_LOG_LINES = 60;
/** Log lines quoted in a comment on an existing issue. */
export const COMMENT_LOG_LINES = 20;
/** Characters kept of one quoted log line. */
const MAX_LINE_CHARS = 400;
/** GitHub rejects bodies over 65,536 characters; this leaves room for the marker and the closing lines. */
const MAX_BODY_CHARS = 60_000;
/** Suspect commits listed in an issue; the compare link shows all of them. */
const LISTED_COMMITS = 15;

/** The content of an issue or comment about one failure. Text from logs must already be redacted. */
export interface IssueFailure {
  fingerprintId: string;
  failureClass: FailureClass;
  image: string;
  /** Other images that failed with this fingerprint in the same run. */
  otherImages: string[];
  kind: FailureKind;
  runId: string;
  commit: string | null;
  commitSubject: string | null;
  failedStep: string | null;
  error: string | null;
  logTail: string[];
  explanation: string | null;
  suspectRange: SuspectRange | null;
  /** Dashboard pages, absolute; null when unknown. */
  runUrl: string | null;
  logUrl: string | null;
}

/** The repository's web address, for commit and compare links, such as https://github.com/apache/tvm. */
export type RepositoryWebUrl = string;

export function renderIssueTitle(failure: Pick<IssueFailure, 'image' | 'kind' | 'failureClass'>): string {
  const stage = failure.kind === 'build' ? 'build' : 'validation';
  return `${failure.image} ${stage} failed: ${FAILURE_CLASS_TITLES[failure.failureClass]}`;
}

/** Renders a new issue's body: what failed, the suspect range, package changes, links, the log's end and the markers. */
export function renderIssueBody(failure: IssueFailure, repositoryUrl: RepositoryWebUrl, previousIssue?: { number: number; url: string }): string {
  const sections = [
    renderSummary(failure, repositoryUrl),
    previousIssue ? `This failure was filed before as #${previousIssue.number}, closed too long ago to reopen.` : '',
    renderSuspectRange(failure.suspectRange, failure.explanation, repositoryUrl),
    renderPackageChanges(failure.suspectRange),
    renderLinks(failure),
    renderLogTail(failure.logTail.slice(-ISSUE_LOG_LINES)),
  ].filter((section) => section !== '');
  return finish(sections.join('\n\n'), [runMarker(failure.runId), fingerprintMarker(failure.fingerprintId)]);
}

/** Renders a comment for a new occurrence of a failure that has an issue already. */
export function renderComment(failure: IssueFailure, repositoryUrl: RepositoryWebUrl, reopened: boolean): string {
  const opening = reopened
    ? 'Reopened by drydock: this failure came back after the issue was closed.'
    : 'The same failure happened again.';
  const sections = [
    opening,
    renderSummary(failure, repositoryUrl),
    failure.explanation ?? '',
    renderLinks(failure),
    renderLogTail(failure.logTail.slice(-COMMENT_LOG_LINES)),
  ].filter((section) => section !== '');
  return finish(sections.join('\n\n'), [runMarker(failure.runId)]);
}

function renderSummary(failure: IssueFailure, repositoryUrl: string): string {
  const images = [failure.image, ...failure.otherImages].map((name) => `**${name}**`).join(', ');
  const verb = failure.kind === 'build' ? 'failed to build' : 'failed validation';
  const commit = failure.commit === null ? 'an unknown commit' : `${commitLink(failure.commit, repositoryUrl)}${failure.commitSubject ? ` (${escapeInline(failure.commitSubject)})` : ''}`;
  const lines = [
    `${images} ${verb} in run \`${failure.runId}\` at commit ${commit}.`,
    '',
    `- Class: ${FAILURE_CLASS_TITLES[failure.failureClass]}`,
  ];
  if (failure.failedStep) lines.push(`- Failed step: ${codeSpan(failure.failedStep)}`);
  if (failure.error) lines.push(`- Error: ${codeSpan(failure.error)}`);
  lines.push(`- Fingerprint: \`${failure.fingerprintId}\``);
  return lines.join('\n');
}

function renderSuspectRange(range: SuspectRange | null, explanation: string | null, repositoryUrl: string): string {
  const lines = ['### Suspect range'];
  if (explanation) lines.push('', explanation);
  if (range === null || range.lastGreen === null) return lines.join('\n');

  const green = range.lastGreen;
  const compare = `${repositoryUrl}/compare/${green.commit}...${range.commit}`;
  const count = `${range.commitCount} ${range.commitCount === 1 ? 'commit' : 'commits'}`;
  lines.push('', `Last green build: run \`${green.runId}\` at ${commitLink(green.commit, repositoryUrl)}. Since then: [${count}](${compare}).`);
  if (range.commits.length > 0) {
    lines.push('');
    for (const commit of range.commits.slice(0, LISTED_COMMITS)) {
      lines.push(`- ${commitLink(commit.hash, repositoryUrl)} ${escapeInline(commit.subject)} (${escapeInline(commit.author.replace(/ <.*>$/, ''))})`);
    }
    if (range.commitCount > LISTED_COMMITS) lines.push(`- and ${range.commitCount - LISTED_COMMITS} more`);
  }
  if (range.changedInputs.length > 0) lines.push('', `Image files changed: ${range.changedInputs.map(codeSpan).join(', ')}`);
  for (const change of range.baseImageChanges) {
    lines.push('', `Base image ${codeSpan(change.reference)}: ${codeSpan(change.before ?? 'none')} -> ${codeSpan(change.after ?? 'unknown')}`);
  }
  return lines.join('\n');
}

function renderPackageChanges(range: SuspectRange | null): string {
  if (range === null || range.lastGreen === null) return '';
  if (range.packageChanges === null) return '### Package changes\n\nNo inventory to compare: drydock lists packages while it validates an image, so a build that failed has none.';
  if (range.packageChanges.length === 0) return '### Package changes\n\nNone since the last green build.';
  const lines = range.packageChanges.map((change) => `- ${codeSpan(formatPackageChange(change))}`);
  return `### Package changes\n\n${lines.join('\n')}`;
}

function renderLinks(failure: IssueFailure): string {
  const links = [
    failure.logUrl ? `[Full log](${failure.logUrl})` : '',
    failure.runUrl ? `[Run on the dashboard](${failure.runUrl})` : '',
  ].filter(Boolean);
  return links.join(' · ');
}

function renderLogTail(lines: string[]): string {
  if (lines.length === 0) return '';
  const text = lines.map((line) => (line.length > MAX_LINE_CHARS ? `${line.slice(0, MAX_LINE_CHARS)}…` : line)).join('\n');
  const fence = '`'.repeat(Math.max(3, longestBacktickRun(text) + 1));
  return `<details><summary>Last ${lines.length} lines of the log</summary>\n\n${fence}\n${text}\n${fence}\n\n</details>`;
}

function finish(body: string, markers: string[]): string {
  const trimmed = body.length > MAX_BODY_CHARS ? `${body.slice(0, MAX_BODY_CHARS)}\n\n(cut to fit GitHub's size limit)` : body;
  return `${trimmed}\n\n${markers.join('\n')}\n`;
}

function commitLink(hash: string, repositoryUrl: string): string {
  return `[\`${hash.slice(0, 12)}\`](${repositoryUrl}/commit/${hash})`;
}

function codeSpan(text: string): string {
  const fence = '`'.repeat(longestBacktickRun(text) + 1);
  const padded = fence.length > 1 || text.startsWith('`') || text.endsWith('`') ? ` ${text} ` : text;
  return `${fence}${padded}${fence}`;
}

function escapeInline(text: string): string {
  return text.replace(/([\\`*_[\]<>|])/g, '\\$1');
}

function longestBacktickRun(text: string): number {
  return Math.max(0, ...(text.match(/`+/g) ?? []).map((run) => run.length));
}
