import { existsSync } from 'node:fs';
import path from 'node:path';
import { readEnv } from '../config/env.js';
import { loadSettings } from '../config/load-config.js';
import { ConfigError } from '../errors.js';
import { fileIssueForFailure } from '../github/file-issue.js';
import { createLogger } from '../logger.js';
import { Store } from '../store/store.js';
import { TriageStore, type FingerprintSummary } from '../triage/triage-store.js';
import { FAILURE_CLASS_TITLES } from '../triage/types.js';

export interface TriageFlags {
  config?: string;
  stateDir?: string;
  json?: boolean;
  fileIssue?: string;
  run?: string;
}

/**
 * Lists the recorded fingerprints, newest first, or with `--file-issue`
 * files or updates the GitHub issue of one image's failure.
 */
export async function runTriageCommand(flags: TriageFlags): Promise<number> {
  if (flags.run !== undefined && flags.fileIssue === undefined) {
    throw new ConfigError('--run only applies with --file-issue', { fix: 'add --file-issue <image>, or leave out --run' });
  }

  const env = readEnv();
  const settings = loadSettings({ config: flags.config, stateDir: flags.stateDir }, env);
  const file = path.join(settings.stateDir, 'drydock.db');
  if (!existsSync(file)) {
    if (flags.fileIssue !== undefined) {
      throw new ConfigError(`no failure of image ${flags.fileIssue} is recorded: ${file} does not exist`, { fix: 'run drydock rebuild first, or point --state-dir at the state directory' });
    }
    process.stderr.write(`No runs recorded yet: ${file} does not exist. Run drydock rebuild first.\n`);
    if (flags.json) process.stdout.write(`${JSON.stringify({ fingerprints: [] })}\n`);
    return 0;
  }

  const store = Store.open(file);
  try {
    if (flags.fileIssue !== undefined) {
      const logger = createLogger(process.env.DRYDOCK_LOG_LEVEL || 'error');
      const filed = await fileIssueForFailure({ store, settings, env, logger, image: flags.fileIssue, runId: flags.run });
      if (flags.json) process.stdout.write(`${JSON.stringify(filed, null, 2)}\n`);
      else process.stdout.write(`${filed.url}\n`);
      process.stderr.write(`${describeAction(filed.action)} for fingerprint ${filed.fingerprintId}\n`);
      return 0;
    }

    const summaries = new TriageStore(store.db).listSummaries();
    if (flags.json) process.stdout.write(`${JSON.stringify({ fingerprints: summaries.map(toJson) }, null, 2)}\n`);
    else process.stdout.write(formatSummaries(summaries));
    return 0;
  } finally {
    store.close();
  }
}

function describeAction(action: string): string {
  switch (action) {
    case 'created':
      return 'Filed a new issue';
    case 'commented':
      return 'Commented on the open issue';
    case 'reopened':
      return 'Reopened the issue with a comment';
    default:
      return 'The issue already reports this run; nothing sent';
  }
}

function toJson(summary: FingerprintSummary) {
  return {
    id: summary.id,
    class: summary.failureClass,
    classTitle: FAILURE_CLASS_TITLES[summary.failureClass],
    images: summary.images,
    firstSeen: summary.firstSeen,
    lastSeen: summary.lastSeen,
    count: summary.count,
    issue: summary.issueUrl === null ? null : { number: summary.issueNumber, url: summary.issueUrl },
    errorLines: summary.errorLines,
    latest: {
      runId: summary.latest.runId,
      image: summary.latest.image,
      kind: summary.latest.kind,
      failedStep: summary.latest.failedStep,
      explanation: summary.latest.explanation,
    },
  };
}

function formatSummaries(summaries: FingerprintSummary[]): string {
  if (summaries.length === 0) return 'No failures recorded.\n';

  const blocks = summaries.map((summary) => {
    const seen = summary.firstSeen === summary.lastSeen ? day(summary.firstSeen) : `${day(summary.firstSeen)} to ${day(summary.lastSeen)}`;
    const lines = [
      `${summary.id}  ${FAILURE_CLASS_TITLES[summary.failureClass]}`,
      `  images: ${summary.images.join(', ')}`,
      `  seen: ${seen}, ${summary.count} ${summary.count === 1 ? 'time' : 'times'}`,
      `  issue: ${summary.issueUrl ?? 'not filed'}`,
      ...summary.errorLines.slice(-3).map((line) => `  | ${line}`),
    ];
    if (summary.latest.explanation) lines.push(`  ${summary.latest.explanation}`);
    return lines.join('\n');
  });
  return `${blocks.join('\n\n')}\n`;
}

function day(timestamp: string): string {
  return timestamp.slice(0, 10);
}
