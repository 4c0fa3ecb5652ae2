/**
 * Runs the full soak and prints its figures; scripts/soak.sh starts it.
 * Exits 1 when an invariant fails or memory grows past its bound, 0
 * otherwise. Options: --nights N (default 200), --seed N, --minutes N
 * (no night starts after this; default 60).
 */
import { parseArgs } from 'node:util';
import { runSoak, type SoakReport } from './soak-harness.js';

/** Heap growth allowed from the baseline to the last night, after a forced collection. */
const MAX_HEAP_GROWTH_BYTES = 32 * 2 ** 20;
/** RSS growth allowed over the same span; RSS also counts native memory (SQLite, the PNG renderer). */
const MAX_RSS_GROWTH_BYTES = 128 * 2 ** 20;
/** The baseline is the mean of these nights' samples, after the caches of the first nights have filled. */
const BASELINE_NIGHTS = [3, 4, 5];

const { values } = parseArgs({
  options: {
    nights: { type: 'string', default: '200' },
    seed: { type: 'string', default: '20300101' },
    minutes: { type: 'string', default: '60' },
  },
});
const nights = Number(values.nights);
const seed = Number(values.seed);
const minutes = Number(values.minutes);
if (!Number.isInteger(nights) || nights < 6 || !Number.isInteger(seed) || !(minutes > 0)) {
  process.stderr.write('usage: run-soak.ts [--nights N (6 or more)] [--seed N] [--minutes N]\n');
  process.exit(2);
}

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) process.stderr.write('soak: node runs without --expose-gc, so memory samples include garbage\n');

const report = await runSoak({ nights, seed, timeLimitMs: minutes * 60_000, gc, log: (line) => process.stderr.write(`${line}\n`) });
const problems = printReport(report);
process.exit(problems > 0 ? 1 : 0);

/** Prints the figures on stdout and returns the number of failed checks. */
function printReport(report: SoakReport): number {
  const megabytes = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;
  const baseline = averageOf(report.memory.filter((sample) => BASELINE_NIGHTS.includes(sample.night)));
  const last = report.memory.at(-1);
  const { notifications, faults, issues, runs } = report;

  const lines = [
    `seed ${report.seed}`,
    `nights: ${report.nightsRun} of ${report.nightsPlanned}${report.stoppedByTimeLimit ? ' (stopped by the time limit)' : ''} in ${(report.durationMs / 60_000).toFixed(1)} min`,
    `runs in the store: ${runs.nightly} nightly, ${runs.rebuild} rebuild, ${runs.validate} validate`,
    `notifications: ${notifications.items} outbox items: ${notifications.creates} creates, ${notifications.threads} threads, ${notifications.editsSent} edits sent, ${notifications.editsCollapsed} edits collapsed`,
    `retries: ${notifications.retried} notifications delivered after a failed attempt; ${report.discordErrorResponses} Discord and ${report.githubErrorResponses} GitHub requests answered with 429 or 5xx; ${report.engineRetries} images moved to the other engine`,
    `faults injected: Discord ${faults.discord5xx} 5xx, ${faults.discordLostResponse} lost responses, ${faults.discord429} 429, ${faults.discordGlobal429} global 429, ${faults.botRestart} bot restarts; ` +
      `GitHub ${faults.github5xx} 502, ${faults.githubStoredThen502} stored-then-502, ${faults.github429} 429; engine ${faults.engineDrops} connections cut on ${faults.engineFaultNights} nights (of ${report.engineConnections} connections)`,
    `engine failures reported as such: ${report.engineFailures}`,
    `issues: ${issues.count} for ${issues.fingerprints} fingerprints, ${issues.comments} comments`,
    `memory: heap ${baseline ? megabytes(baseline.heapUsedBytes) : '?'} -> ${last ? megabytes(last.heapUsedBytes) : '?'}, rss ${baseline ? megabytes(baseline.rssBytes) : '?'} -> ${last ? megabytes(last.rssBytes) : '?'} (baseline: mean of nights ${BASELINE_NIGHTS.join(', ')}; end: night ${last?.night ?? '?'})`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);

  const checks: [string, string[]][] = [
    ['lost notifications', report.lost],
    ['duplicated notifications', report.duplicated],
    ['messages that differ from the outbox', report.mismatched],
    ['duplicated issues', issues.duplicated],
    ['issues without a fingerprint marker', issues.unmarked],
    ['fingerprints recorded with the wrong issue', issues.unrecorded],
    ['missing runs', runs.missing],
    ['unfinished runs', runs.unfinished],
    ['unexpected image outcomes', report.unexpectedOutcomes],
    ['nights not flushed by their deadline', report.unflushedNights],
  ];
  if (baseline && last && last.heapUsedBytes - baseline.heapUsedBytes > MAX_HEAP_GROWTH_BYTES) {
    checks.push(['heap growth', [`${megabytes(last.heapUsedBytes - baseline.heapUsedBytes)} over ${megabytes(MAX_HEAP_GROWTH_BYTES)}`]]);
  }
  if (baseline && last && last.rssBytes - baseline.rssBytes > MAX_RSS_GROWTH_BYTES) {
    checks.push(['RSS growth', [`${megabytes(last.rssBytes - baseline.rssBytes)} over ${megabytes(MAX_RSS_GROWTH_BYTES)}`]]);
  }

  let failed = 0;
  for (const [name, problems] of checks) {
    if (problems.length === 0) continue;
    failed++;
    process.stdout.write(`FAILED ${name} (${problems.length}):\n${problems.slice(0, 20).map((problem) => `  ${problem}`).join('\n')}\n`);
  }
  process.stdout.write(failed === 0 ? 'every check passed\n' : `${failed} check(s) failed\n`);
  return failed;
}

function averageOf(samples: SoakReport['memory']): { heapUsedBytes: number; rssBytes: number } | undefined {
  if (samples.length === 0) return undefined;
  const sum = (pick: (sample: SoakReport['memory'][number]) => number) => samples.reduce((total, sample) => total + pick(sample), 0) / samples.length;
  return { heapUsedBytes: sum((sample) => sample.heapUsedBytes), rssBytes: sum((sample) => sample.rssBytes) };
}
