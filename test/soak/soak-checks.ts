import { readFingerprintMarker } from '../../src/github/issue-marker.js';
import type { Store } from '../../src/store/store.js';
import type { FakeDiscord } from '../fakes/discord/fake-discord.js';
import type { FakeGitHub } from '../fakes/github-server.js';
import type { NightPlan } from './night-plan.js';

/** What the outbox did over the whole soak, by item. */
export interface NotificationCounts {
  /** Outbox items of every kind. */
  items: number;
  creates: number;
  threads: number;
  /** Edits sent to Discord. */
  editsSent: number;
  /** Edits replaced by a later edit of the same message before they were sent. */
  editsCollapsed: number;
  /** Delivered items that failed at least once before. */
  retried: number;
}

export interface InvariantReport {
  notifications: NotificationCounts;
  /** Outbox items left pending or failed, and notifications the runs called for that never reached the outbox. */
  lost: string[];
  /** Messages that Discord contains twice, or that no outbox create sent. */
  duplicated: string[];
  /** Messages whose final text in Discord is not the last one the outbox was given. */
  mismatched: string[];
  issues: { count: number; fingerprints: number; comments: number; duplicated: string[]; unmarked: string[]; unrecorded: string[] };
  runs: { nightly: number; rebuild: number; validate: number; missing: string[]; unfinished: string[] };
  /** Image outcomes that differ from the night's plan for a reason other than an engine fault. */
  unexpectedOutcomes: string[];
  /** Image builds and validations that failed because an engine failed, though the plan had them succeed. */
  engineFailures: number;
}

interface OutboxRow {
  id: number;
  message_key: string;
  action: 'create' | 'edit' | 'thread';
  channel_id: string;
  payload: string;
  nonce: string;
  state: string;
  last_error: string | null;
}

/**
 * Checks the soak's invariants after the final flush: every notification
 * the runs called for reached Discord exactly once and reads as the outbox
 * last had it. GitHub contains one issue per fingerprint, and the store
 * contains every nightly with the outcome its night planned.
 */
export function checkInvariants(context: { store: Store; discord: FakeDiscord; github: FakeGitHub; plans: NightPlan[] }): InvariantReport {
  const { store, discord, github, plans } = context;
  const items = store.db.prepare('SELECT * FROM outbox_items ORDER BY id').all() as OutboxRow[];
  const messageIds = new Map(
    (store.db.prepare('SELECT message_key, message_id FROM outbox_messages').all() as { message_key: string; message_id: string }[]).map((row) => [row.message_key, row.message_id]),
  );
  const resolve = (text: string) => text.replace(/\{\{id:([^}]+)\}\}/g, (_match, key: string) => messageIds.get(key) ?? 'unknown');

  const lost = items.filter((item) => item.state === 'pending' || item.state === 'failed').map((item) => `${item.action} ${item.message_key} is ${item.state}: ${item.last_error ?? 'no error recorded'}`);
  const runs = checkRuns(store, plans);
  lost.push(...findMissingNotifications(store, items));

  const duplicated: string[] = [];
  const mismatched: string[] = [];
  const createsByNonce = new Map(items.filter((item) => item.action === 'create').map((item) => [item.nonce, item]));
  const messagesByNonce = new Map<string, string[]>();
  for (const message of discord.messages.values()) {
    if (message.nonce === undefined || !createsByNonce.has(message.nonce)) {
      duplicated.push(`message ${message.id} in ${message.channel_id} has no outbox create (nonce ${message.nonce ?? 'none'}): ${message.content.slice(0, 80)}`);
      continue;
    }
    messagesByNonce.set(message.nonce, [...(messagesByNonce.get(message.nonce) ?? []), message.id]);
  }
  for (const [nonce, ids] of messagesByNonce) {
    if (ids.length > 1) duplicated.push(`${createsByNonce.get(nonce)!.message_key} was posted ${ids.length} times: ${ids.join(', ')}`);
  }

  const byKey = new Map<string, OutboxRow[]>();
  for (const item of items) byKey.set(item.message_key, [...(byKey.get(item.message_key) ?? []), item]);
  for (const [key, keyItems] of byKey) {
    const thread = keyItems.find((item) => item.action === 'thread');
    if (thread) {
      mismatched.push(...checkThread(key, thread, messageIds, discord));
      continue;
    }
    const create = keyItems.find((item) => item.action === 'create');
    const messageId = messageIds.get(key);
    if (!create || messageId === undefined) continue;
    const message = discord.messages.get(messageId);
    if (!message) {
      mismatched.push(`${key}: the outbox recorded message ${messageId}, which Discord does not hold`);
      continue;
    }
    if (message.nonce !== create.nonce) mismatched.push(`${key}: message ${messageId} carries nonce ${message.nonce}, not the create's ${create.nonce}`);
    const last = keyItems.filter((item) => item.action !== 'thread').at(-1)!;
    if (last.state !== 'delivered') {
      mismatched.push(`${key}: its last item (${last.action} ${last.id}) is ${last.state}`);
      continue;
    }
    const expected = JSON.parse(resolve(last.payload)) as { content?: string; embeds?: unknown[]; components?: unknown[] };
    const actual = { content: message.content, embeds: message.embeds, components: message.components };
    for (const field of ['content', 'embeds', 'components'] as const) {
      const want = JSON.stringify(expected[field] ?? (field === 'content' ? '' : []));
      const got = JSON.stringify(actual[field] ?? (field === 'content' ? '' : []));
      if (want !== got) mismatched.push(`${key}: ${field} in Discord differs from the outbox's last ${last.action}: ${got.slice(0, 120)} instead of ${want.slice(0, 120)}`);
    }
  }

  return {
    notifications: {
      items: items.length,
      creates: items.filter((item) => item.action === 'create').length,
      threads: items.filter((item) => item.action === 'thread').length,
      editsSent: items.filter((item) => item.action === 'edit' && item.state === 'delivered').length,
      editsCollapsed: items.filter((item) => item.state === 'superseded').length,
      retried: items.filter((item) => item.state === 'delivered' && item.last_error !== null).length,
    },
    lost,
    duplicated,
    mismatched,
    issues: checkIssues(store, github),
    runs: runs.runs,
    unexpectedOutcomes: runs.unexpectedOutcomes,
    engineFailures: runs.engineFailures,
  };
}

function checkThread(key: string, thread: OutboxRow, messageIds: Map<string, string>, discord: FakeDiscord): string[] {
  const { starterKey, name } = JSON.parse(thread.payload) as { starterKey: string; name: string };
  const starterId = messageIds.get(starterKey);
  const starter = starterId === undefined ? undefined : discord.messages.get(starterId);
  if (!starter?.thread) return [`${key}: the starter message ${starterKey} (${starterId ?? 'never created'}) has no thread`];
  const problems: string[] = [];
  if (messageIds.get(key) !== starter.thread.id) problems.push(`${key}: the outbox recorded thread ${messageIds.get(key)}, Discord has ${starter.thread.id}`);
  if (starter.thread.name !== name) problems.push(`${key}: thread named ${JSON.stringify(starter.thread.name)}, not ${JSON.stringify(name)}`);
  return problems;
}

/**
 * Lists the notifications each recorded nightly called for, read from the
 * store rather than the outbox: a summary with its final edit, and a
 * thread post for every failed build and validation. Returns those the
 * outbox never delivered.
 */
function findMissingNotifications(store: Store, items: OutboxRow[]): string[] {
  const delivered = new Map<string, Set<string>>();
  for (const item of items.filter((entry) => entry.state === 'delivered' || entry.state === 'superseded')) {
    delivered.set(item.message_key, (delivered.get(item.message_key) ?? new Set()).add(item.action));
  }
  const missing: string[] = [];
  const nightlies = store.db
    .prepare(`SELECT r.id, r.started_at, n.rebuild_run_id, n.validate_run_id FROM runs r JOIN nightly_runs n ON n.run_id = r.id WHERE r.kind = 'nightly' ORDER BY r.started_at`)
    .all() as { id: string; started_at: string; rebuild_run_id: string | null; validate_run_id: string | null }[];
  for (const nightly of nightlies) {
    // The scheduler names the job after the minute it was due, 05:00 UTC.
    const summaryKey = `summary:nightly-${nightly.started_at.slice(0, 10)}T05:00`;
    const actions = delivered.get(summaryKey);
    if (!actions?.has('create')) missing.push(`${summaryKey}: no summary was posted for nightly ${nightly.id}`);
    if (!actions?.has('edit')) missing.push(`${summaryKey}: the summary of nightly ${nightly.id} was never edited to its final state`);

    const failedBuilds = store.db
      .prepare(`SELECT image FROM image_results WHERE run_id = ? AND status = 'failed' AND (cause IS NULL OR cause NOT IN ('parent', 'cancelled'))`)
      .all(nightly.rebuild_run_id) as { image: string }[];
    for (const { image } of failedBuilds) {
      const key = `thread-post:${nightly.rebuild_run_id}:${image}:build`;
      if (!delivered.get(key)?.has('create')) missing.push(`${key}: the failed build of ${image} was never posted in its thread`);
    }
    const failedValidations = store.db
      .prepare(`SELECT image FROM validate_images WHERE run_id = ? AND status IN ('failed', 'error')`)
      .all(nightly.validate_run_id) as { image: string }[];
    for (const { image } of failedValidations) {
      const key = `thread-post:${nightly.validate_run_id}:${image}:validate`;
      if (!delivered.get(key)?.has('create')) missing.push(`${key}: the failed validation of ${image} was never posted in its thread`);
    }
  }
  return missing;
}

function checkIssues(store: Store, github: FakeGitHub): InvariantReport['issues'] {
  const byFingerprint = new Map<string, number[]>();
  const unmarked: string[] = [];
  for (const issue of github.issues) {
    const fingerprint = readFingerprintMarker(issue.body);
    if (fingerprint === undefined) {
      unmarked.push(`#${issue.number} ${issue.title}`);
      continue;
    }
    byFingerprint.set(fingerprint, [...(byFingerprint.get(fingerprint) ?? []), issue.number]);
  }
  const duplicated = [...byFingerprint].filter(([, numbers]) => numbers.length > 1).map(([fingerprint, numbers]) => `fingerprint ${fingerprint} has issues ${numbers.map((number) => `#${number}`).join(', ')}`);

  // Every fingerprint the store ties to an issue must be that issue's marker.
  const recorded = store.db.prepare('SELECT id, issue_number FROM fingerprints WHERE issue_number IS NOT NULL').all() as { id: string; issue_number: number }[];
  const unrecorded = recorded
    .filter((row) => !(byFingerprint.get(row.id) ?? []).includes(row.issue_number))
    .map((row) => `fingerprint ${row.id} is recorded with issue #${row.issue_number}, which does not carry its marker`);

  return {
    count: github.issues.length,
    fingerprints: byFingerprint.size,
    comments: github.issues.reduce((sum, issue) => sum + issue.comments.length, 0),
    duplicated,
    unmarked,
    unrecorded,
  };
}

/** Compares the store's runs with the plans, night by night in start order. */
function checkRuns(store: Store, plans: NightPlan[]): { runs: InvariantReport['runs']; unexpectedOutcomes: string[]; engineFailures: number } {
  const count = (kind: string) => (store.db.prepare('SELECT COUNT(*) AS count FROM runs WHERE kind = ?').get(kind) as { count: number }).count;
  const nightlies = store.db
    .prepare(`SELECT r.id, r.status, n.rebuild_run_id, n.validate_run_id FROM runs r LEFT JOIN nightly_runs n ON n.run_id = r.id WHERE r.kind = 'nightly' ORDER BY r.started_at`)
    .all() as { id: string; status: string; rebuild_run_id: string | null; validate_run_id: string | null }[];
  const missing: string[] = [];
  const unfinished = (store.db.prepare(`SELECT id, kind, status FROM runs WHERE status NOT IN ('succeeded', 'failed')`).all() as { id: string; kind: string; status: string }[]).map(
    (run) => `${run.kind} ${run.id} is ${run.status}`,
  );
  if (nightlies.length !== plans.length) missing.push(`the store holds ${nightlies.length} nightly runs for ${plans.length} nights`);

  const unexpectedOutcomes: string[] = [];
  let engineFailures = 0;
  plans.forEach((plan, index) => {
    const nightly = nightlies[index];
    if (!nightly) return;
    if (nightly.rebuild_run_id === null) {
      missing.push(`night ${plan.night}: nightly ${nightly.id} links no rebuild run`);
      return;
    }
    const builds = new Map(store.listImageResults(nightly.rebuild_run_id).map((result) => [result.image, result]));
    const validations = new Map(
      (nightly.validate_run_id === null
        ? []
        : (store.db.prepare('SELECT image, status, cause FROM validate_images WHERE run_id = ?').all(nightly.validate_run_id) as { image: string; status: string; cause: string | null }[])
      ).map((row) => [row.image, row]),
    );
    for (const image of ['soak_alpha', 'soak_beta', 'soak_gamma']) {
      const build = builds.get(image);
      if (!build) {
        missing.push(`night ${plan.night}: no build result of ${image} in ${nightly.rebuild_run_id}`);
        continue;
      }
      const shouldBuild = image !== 'soak_beta' || plan.beta === 'ok';
      if (shouldBuild && build.status !== 'succeeded') {
        if (build.cause === 'engine') engineFailures++;
        else unexpectedOutcomes.push(`night ${plan.night}: ${image} ${build.status} (${build.cause}): ${build.error}`);
        continue;
      }
      if (!shouldBuild && (build.status !== 'failed' || build.cause !== 'build')) {
        unexpectedOutcomes.push(`night ${plan.night}: ${image} was planned to fail its build but is ${build.status} (${build.cause})`);
        continue;
      }
      if (!shouldBuild) continue;
      const validation = validations.get(image);
      const shouldPass = image !== 'soak_gamma' || plan.gamma === 'ok';
      const expected = shouldPass ? 'passed' : 'failed';
      if (validation?.status === expected) continue;
      if (validation?.cause === 'engine') engineFailures++;
      else unexpectedOutcomes.push(`night ${plan.night}: ${image} validation is ${validation?.status ?? 'missing'} (${validation?.cause ?? 'no cause'}), planned ${expected}`);
    }
  });

  return {
    runs: { nightly: nightlies.length, rebuild: count('rebuild'), validate: count('validate'), missing, unfinished },
    unexpectedOutcomes,
    engineFailures,
  };
}
