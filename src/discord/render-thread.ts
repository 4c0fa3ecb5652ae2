import type { DashboardLinks } from '../dashboard/links.js';
import type { MessageBody } from '../outbox/types.js';
import { redactSecrets } from '../secrets.js';
import type { LogKind } from '../dashboard/links.js';
import { readLogTail, stripTimestamp } from '../triage/log-tail.js';
import type { TriageFailureRecord } from '../triage/triage-store.js';
import { FAILURE_CLASS_TITLES } from '../triage/types.js';
import { MAX_CONTENT_CHARS, MAX_EMBED_DESCRIPTION_CHARS, MAX_EMBED_FIELD_VALUE_CHARS, MAX_THREAD_NAME_CHARS, truncate } from './limits.js';

/** Log lines a triage thread shows. */
export const THREAD_LOG_LINES = 40;
/** Suspect commits listed by name; the rest are counted. */
const LISTED_COMMITS = 8;
const LISTED_PACKAGE_CHANGES = 12;

/** A failure of one image: its build, or its tests on the built image. */
export interface ThreadFailure {
  image: string;
  kind: LogKind;
  /** The run whose log this is: the rebuild run for a build, the validate run for tests. */
  runId: string;
  failedStep: string | null;
  error: string | null;
  cause: string | null;
  logPath: string | null;
  /** Further lines, such as each failed command and its result on the production image. */
  details: string[];
}

export interface ThreadReport {
  failure: ThreadFailure;
  triage: TriageFailureRecord | undefined;
  repo: string | null;
  onCallUserId: string | undefined;
  links: DashboardLinks | undefined;
  secrets: string[];
}

export function threadName(triage: TriageFailureRecord | undefined, failure: ThreadFailure): string {
  let kind = failure.kind === 'validate' ? 'test failure' : 'failure';
  if (failure.cause) kind = `${failure.cause} failure`;
  if (triage) kind = FAILURE_CLASS_TITLES[triage.failureClass];
  return truncate(`${failure.image}: ${kind}`, MAX_THREAD_NAME_CHARS);
}

/** Returns the verb phrase for a failure of each kind, as in "ci_cpu failed its tests". */
function failedWhat(failure: ThreadFailure): string {
  return failure.kind === 'validate' ? 'failed its tests' : 'failed to build';
}

/** Renders the channel message a new thread starts on. */
export function renderThreadStarter(report: ThreadReport): MessageBody {
  const { failure } = report;
  return { content: truncate(`✗ **${failure.image}** ${failedWhat(failure)} in run ${failure.runId}. Triage in the thread below.`, MAX_CONTENT_CHARS), allowed_mentions: { parse: [] } };
}

/**
 * Renders one night's report in a triage thread: the failing step, the end
 * of the log with secrets redacted, the suspect range, the package changes,
 * a mention of whoever is on call, and buttons to rebuild, file the GitHub
 * issue and open the full log.
 */
export function renderThreadReport(report: ThreadReport): MessageBody {
  const { failure, triage } = report;
  const { image, runId } = failure;
  const mention = report.onCallUserId ? `<@${report.onCallUserId}> ` : '';
  const content = truncate(`${mention}**${image}** ${failedWhat(failure)} in run ${runId}${failure.failedStep ? ` at \`${truncate(failure.failedStep, 200)}\`` : ''}.`, MAX_CONTENT_CHARS);

  const header = failure.error ? `${truncate(redactSecrets(failure.error, report.secrets), 500)}\n` : '';
  const description = header + renderLogTail(failure.logPath, report.secrets, MAX_EMBED_DESCRIPTION_CHARS - header.length);
  const fields = [];
  if (failure.details.length > 0) {
    fields.push({ name: 'Failed commands', value: fitLines(failure.details.map((line) => redactSecrets(line, report.secrets)), MAX_EMBED_FIELD_VALUE_CHARS), inline: false });
  }
  fields.push(
    { name: 'Suspect commits', value: renderSuspects(triage, report), inline: false },
    { name: 'Package changes since the last green build', value: renderPackageChanges(triage), inline: false },
  );
  if (triage) fields.push({ name: 'Fingerprint', value: `\`${triage.fingerprintId}\` (${FAILURE_CLASS_TITLES[triage.failureClass]})`, inline: true });

  const buttons: Record<string, unknown>[] = [
    { type: 2, style: 1, label: 'Rebuild', custom_id: truncate(`rebuild:${image}`, 100) },
    { type: 2, style: 2, label: 'File GitHub issue', custom_id: truncate(`file-issue:${image}:${runId}`, 100) },
  ];
  if (report.links) buttons.push({ type: 2, style: 5, label: 'Full log', url: report.links.absolute(report.links.log(runId, image, failure.kind)) });

  return {
    content,
    embeds: [{ title: truncate(`${image} · run ${runId}`, 256), description, color: 0xc62828, fields }],
    components: [{ type: 1, components: buttons }],
    allowed_mentions: { users: report.onCallUserId ? [report.onCallUserId] : [] },
  };
}

/** Renders the last lines of the log in a code block, shortened from the top to fit `max` characters. */
export function renderLogTail(logPath: string | null, secrets: string[], max: number): string {
  if (logPath === null) return '_No log was written._';
  let lines: string[];
  try {
    lines = readLogTail(logPath, THREAD_LOG_LINES).map((line) => redactSecrets(stripTimestamp(line), secrets).replaceAll('```', '`\u200b``'));
  } catch {
    return `_The log ${logPath} could not be read._`;
  }
  const fence = '```\n';
  const closing = '\n```';
  while (lines.length > 0 && fence.length + lines.join('\n').length + closing.length > max) lines.shift();
  return lines.length === 0 ? '_The log is empty._' : `${fence}${lines.join('\n')}${closing}`;
}

function renderSuspects(triage: TriageFailureRecord | undefined, report: ThreadReport): string {
  const range = triage?.suspectRange;
  if (!range) return 'Not known: no triage was recorded for this failure.';
  if (!range.lastGreen) return `No green build of ${report.failure.image} is on record, so every commit up to \`${range.commit.slice(0, 10)}\` is suspect.`;

  const compare = report.links?.compare(report.repo, range.lastGreen.commit, range.commit);
  const head = `${range.commitCount} commit${range.commitCount === 1 ? '' : 's'} since the last green build (\`${range.lastGreen.commit.slice(0, 10)}\`, run ${range.lastGreen.runId})`;
  const listed = range.commits.slice(0, LISTED_COMMITS).map((commit) => `\`${commit.shortHash}\` ${truncate(commit.subject, 70)} (${commit.author})`);
  const more = range.commitCount > listed.length ? [`and ${range.commitCount - listed.length} more`] : [];
  const inputs = range.changedInputs.length > 0 ? [`Files of the image changed: ${range.changedInputs.slice(0, 5).join(', ')}`] : [];
  const bases = range.baseImageChanges.map((change) => `Base image ${change.reference} changed`);
  const lines = [compare ? `[${head}](${compare})` : head, ...listed, ...more, ...inputs, ...bases];
  return fitLines(lines, MAX_EMBED_FIELD_VALUE_CHARS);
}

function renderPackageChanges(triage: TriageFailureRecord | undefined): string {
  const changes = triage?.suspectRange?.packageChanges;
  if (!changes) return 'Not known: no inventory of this build was compared.';
  if (changes.length === 0) return 'None.';
  const lines = changes.slice(0, LISTED_PACKAGE_CHANGES).map((change) => `${change.name}: ${change.before ?? 'absent'} → ${change.after ?? 'removed'}`);
  if (changes.length > lines.length) lines.push(`and ${changes.length - lines.length} more`);
  return fitLines(lines, MAX_EMBED_FIELD_VALUE_CHARS);
}

function fitLines(lines: string[], max: number): string {
  const kept: string[] = [];
  for (const line of lines) {
    if ([...kept, line].join('\n').length > max - 20) {
      kept.push(`and ${lines.length - kept.length} more`);
      break;
    }
    kept.push(line);
  }
  return kept.join('\n');
}
