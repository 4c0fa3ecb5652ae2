import {
  MessageFlags,
  type AutocompleteInteraction,
  type ButtonInteraction,
  type ChatInputCommandInteraction,
  type GuildMember,
  type Interaction,
  type APIInteractionGuildMember,
} from 'discord.js';
import path from 'node:path';
import { existsSync } from 'node:fs';
import type { DrydockEnv } from '../config/env.js';
import type { Settings } from '../config/load-config.js';
import { describeError } from '../errors.js';
import { fileIssueForFailure } from '../github/file-issue.js';
import type { Logger } from '../logger.js';
import { buildDashboardMatrix } from '../dashboard/matrix-model.js';
import { formatOutcomeMatrix } from '../report/matrix.js';
import { DashboardQueries } from '../store/dashboard-queries.js';
import type { Clock } from '../scheduler/clock.js';
import type { Job, JobObserver, JobResult } from '../scheduler/job.js';
import type { NightlyScheduler } from '../scheduler/nightly-scheduler.js';
import { formatUtc } from '../scheduler/nightly-scheduler.js';
import type { RunQueue } from '../scheduler/run-queue.js';
import { secretValues } from '../secrets.js';
import { findRefProblem } from '../source/ref.js';
import type { Store } from '../store/store.js';
import { AuditLog, decideCommitter, describeCommitters, GATED_COMMANDS, type Caller } from './committers.js';
import { MAX_CONTENT_CHARS, truncate } from './limits.js';
import type { OnCall } from './oncall.js';
import { formatDuration } from './render-summary.js';
import { renderLogTail } from './render-thread.js';
import type { DashboardLinks } from '../dashboard/links.js';
import { PROMOTE_BUTTON_PREFIX, type DiscordPromotions } from '../promote/discord-promote.js';
import type { ChannelReporter } from './channel-reporter.js';

/** Discord shows at most 25 autocomplete choices. */
const MAX_CHOICES = 25;
const IMAGE_NAME = /^[a-z0-9][a-z0-9_.-]{0,99}$/;
const MAX_IMAGES_PER_COMMAND = 50;

export interface InteractionContext {
  settings: Settings;
  env: DrydockEnv;
  store: Store;
  queue: RunQueue;
  scheduler: NightlyScheduler | undefined;
  onCall: OnCall;
  audit: AuditLog;
  links: DashboardLinks | undefined;
  clock: Clock;
  logger: Logger;
  /** Image names for autocomplete and checks: the catalog of the last checkout and the images on record. */
  listImages: () => string[];
  /** Posts in the channel and its triage threads. */
  reporter: ChannelReporter;
  /** Plans and confirms `/promote`; its buttons carry the `promote:` prefix. */
  promotions: DiscordPromotions;
}

/** A reply for a user error: shown only to the caller. */
class UserError extends Error {}

/** Routes one interaction to its handler; a handler's error becomes an ephemeral reply. */
export async function handleInteraction(interaction: Interaction, context: InteractionContext): Promise<void> {
  try {
    if (interaction.isAutocomplete()) return await answerAutocomplete(interaction, context);
    if (interaction.isChatInputCommand()) return await handleCommand(interaction, context);
    if (interaction.isButton()) return await handleButton(interaction, context);
  } catch (error) {
    const text = error instanceof UserError ? error.message : `That failed: ${describeError(error)}`;
    if (!(error instanceof UserError)) context.logger.error({ err: error, interactionId: interaction.id }, 'interaction failed');
    if (!interaction.isRepliable()) return;
    const content = truncate(text, MAX_CONTENT_CHARS);
    if (interaction.deferred || interaction.replied) await interaction.editReply({ content }).catch(() => undefined);
    else await interaction.reply({ content, flags: MessageFlags.Ephemeral }).catch(() => undefined);
  }
}

async function answerAutocomplete(interaction: AutocompleteInteraction, context: InteractionContext): Promise<void> {
  const focused = interaction.options.getFocused(true);
  // A list option completes its last name, after the last comma.
  const typed = String(focused.value);
  const prefix = typed.includes(',') ? typed.slice(0, typed.lastIndexOf(',') + 1) : '';
  const needle = typed.slice(prefix.length).trim().toLowerCase();
  const names = context.listImages();
  const matches = [...names.filter((name) => name.startsWith(needle)), ...names.filter((name) => !name.startsWith(needle) && name.includes(needle))];
  await interaction.respond(matches.slice(0, MAX_CHOICES).map((name) => ({ name: `${prefix}${name}`.slice(0, 100), value: `${prefix}${name}`.slice(0, 100) })));
}

function callerOf(interaction: ChatInputCommandInteraction | ButtonInteraction): Caller {
  const member = interaction.member as GuildMember | APIInteractionGuildMember | null;
  const roles = member === null ? [] : Array.isArray(member.roles) ? member.roles : [...member.roles.cache.keys()];
  return { userId: interaction.user.id, userName: interaction.user.username, roleIds: roles };
}

/** Checks the caller against the committers, records the attempt, and refuses a non-committer ephemerally. */
async function passGate(interaction: ChatInputCommandInteraction | ButtonInteraction, command: string, options: Record<string, unknown>, context: InteractionContext): Promise<boolean> {
  if (!GATED_COMMANDS.has(command)) return true;

  const caller = callerOf(interaction);
  const committers = context.settings.discord?.committers ?? { roles: [], users: [] };
  const decision = decideCommitter(caller, committers);
  context.audit.record({ at: context.clock.now(), caller, command, options, decision });
  if (decision.allowed) return true;

  await interaction.reply({ content: describeCommitters(command.replace(/^button:/, ''), committers), flags: MessageFlags.Ephemeral, allowedMentions: { parse: [] } });
  return false;
}

async function handleCommand(interaction: ChatInputCommandInteraction, context: InteractionContext): Promise<void> {
  const subcommand = interaction.options.getSubcommand(false);
  const command = subcommand ? `${interaction.commandName} ${subcommand}` : interaction.commandName;
  const options = Object.fromEntries(interaction.options.data.flatMap((option) => (option.options ? option.options : [option])).map((option) => [option.name, option.user?.id ?? option.value]));
  if (!(await passGate(interaction, command, options, context))) return;

  switch (command) {
    case 'status':
      return replyStatus(interaction, context);
    case 'logs':
      return replyLogs(interaction, context);
    case 'schedule':
      return replySchedule(interaction, context);
    case 'rebuild':
      return startJob(interaction, context, {
        kind: 'rebuild',
        images: parseImages(interaction.options.getString('images', true), context),
        ref: checkRef(interaction.options.getString('ref')),
        validate: interaction.options.getBoolean('validate') ?? undefined,
        noCache: interaction.options.getBoolean('no-cache') ?? undefined,
      });
    case 'validate':
      return startJob(interaction, context, { kind: 'validate', images: parseImages(interaction.options.getString('images', true), context), tag: checkTag(interaction.options.getString('tag')) });
    case 'cancel':
      return cancelRun(interaction, context);
    case 'oncall show':
    case 'oncall rotation':
      return replyOnCall(interaction, context, subcommand!);
    case 'oncall set':
      return setOnCall(interaction, context);
    case 'promote':
      return context.promotions.handleCommand(interaction);
    case 'file-issue':
      return fileIssue(interaction, context, checkImage(interaction.options.getString('image', true), context), interaction.options.getString('run') ?? undefined);
    default:
      throw new UserError(`/${command} is not a command of this drydock.`);
  }
}

async function handleButton(interaction: ButtonInteraction, context: InteractionContext): Promise<void> {
  // Only the committer who ran /promote may press its buttons, which the handler checks.
  if (interaction.customId.startsWith(PROMOTE_BUTTON_PREFIX)) return context.promotions.handleButton(interaction);
  const [action, image, runId] = interaction.customId.split(':');
  if (action !== 'rebuild' && action !== 'file-issue') throw new UserError('This button belongs to an older drydock and does nothing now.');
  if (!(await passGate(interaction, `button:${action}`, { image, runId }, context))) return;

  const name = checkImage(image ?? '', context);
  if (action === 'rebuild') return startJob(interaction, context, { kind: 'rebuild', images: [name] });
  return fileIssue(interaction, context, name, runId);
}

/** Splits a comma-separated image list and checks each name against the catalog. */
function parseImages(value: string, context: InteractionContext): string[] | undefined {
  if (value.trim() === 'all') return undefined;
  const names = [...new Set(value.split(',').map((name) => name.trim()).filter(Boolean))];
  if (names.length === 0) throw new UserError('Name at least one image, such as ci_cpu, or "all".');
  if (names.length > MAX_IMAGES_PER_COMMAND) throw new UserError(`That names ${names.length} images; name at most ${MAX_IMAGES_PER_COMMAND}, or "all".`);
  return names.map((name) => checkImage(name, context));
}

function checkImage(name: string, context: InteractionContext): string {
  if (!IMAGE_NAME.test(name)) throw new UserError(`"${truncate(name, 100)}" is not an image name: use lower-case letters, digits, ".", "_" and "-", up to 100 characters.`);
  const known = context.listImages();
  // Before the first checkout no catalog is known, so the pipeline itself reports an unknown name.
  if (known.length > 0 && !known.includes(name)) {
    throw new UserError(`No image is named ${name}. Known images: ${truncate(known.join(', '), 1500)}.`);
  }
  return name;
}

/** Docker's tag grammar, which run tags such as 2025-01-10-05-00-00-abc1234 follow. */
const TAG_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

function checkTag(tag: string | null): string | undefined {
  if (tag === null) return undefined;
  if (!TAG_PATTERN.test(tag)) throw new UserError(`"${truncate(tag, 130)}" is not an image tag: give a run tag such as 2025-01-10-05-00-00-abc1234, or leave tag out to test the newest build.`);
  return tag;
}

function checkRef(ref: string | null): string | undefined {
  if (ref === null) return undefined;
  const problem = findRefProblem(ref);
  if (problem) throw new UserError(`"${truncate(ref, 100)}" is not a valid git ref: it ${problem}. Give a branch, tag or commit, such as main or v0.18.0.`);
  return ref;
}

/** Defers, queues the job, and edits the reply as it waits, starts and finishes. */
async function startJob(interaction: ChatInputCommandInteraction | ButtonInteraction, context: InteractionContext, request: Pick<Job, 'kind' | 'images' | 'ref' | 'validate' | 'noCache' | 'tag'>): Promise<void> {
  await interaction.deferReply();
  const job: Job = {
    ...request,
    id: `${request.kind}-${interaction.id}`,
    trigger: 'discord',
    requestedBy: interaction.user.id,
    requestedAt: context.clock.now(),
    controller: new AbortController(),
  };
  const what = `${request.kind} of ${request.images?.join(', ') ?? 'every image'}${request.ref ? ` at ${request.ref}` : ''}`;
  const edit = (content: string) => void interaction.editReply({ content: truncate(content, MAX_CONTENT_CHARS), allowedMentions: { parse: [] } }).catch((error: unknown) => context.logger.warn({ err: error, jobId: job.id }, 'could not edit the command reply'));
  const observer: JobObserver = {
    queued: (_job, blockers) => edit(`Queued: the ${what} waits for ${blockers.map((blocker) => blocker.runId ?? blocker.id).join(', ')}, which works on the same images.`),
    started: () => edit(`Started the ${what}.`),
    finished: (_job, result) => edit([`Run ${result.runId} ${result.status}${result.shortCommit ? ` at ${result.shortCommit}` : ''}.`, ...describeImages(request.kind, result)].join('\n')),
    failed: (_job, error) => edit(`The ${what} failed before ${request.kind === 'validate' ? 'testing' : 'building'}: ${describeError(error)}`),
  };
  context.queue.submit(job, observer);
}

/** Describes each image of a finished job in one line: its build, unless the job only tested, and its tests. */
function describeImages(kind: Job['kind'], result: JobResult): string[] {
  const tests = new Map((result.validation?.images ?? []).map((outcome) => [outcome.record.image, outcome]));
  const took = (ms: number | null) => (ms === null ? '' : ` in ${formatDuration(ms)}`);
  const built = kind === 'validate' ? [] : result.images;
  const names = [...new Set([...built.map((image) => image.image), ...tests.keys()])];

  return names.map((name) => {
    const build = built.find((image) => image.image === name);
    const test = tests.get(name);
    const green = (build === undefined || build.status === 'succeeded') && (test === undefined || test.record.status === 'passed');
    const parts: string[] = [];
    if (build) parts.push(`${build.status}${took(build.durationMs)}${build.error ? `: ${truncate(build.error, 150)}` : ''}`);
    if (test) {
      const regression = test.regressions[0] ? `: image regression in \`${truncate(test.regressions[0], 100)}\`` : '';
      const failure = !regression && test.record.error && test.record.status !== 'passed' ? `: ${truncate(test.record.error, 150)}` : '';
      parts.push(`tests ${test.record.status}${took(test.record.durationMs)}${regression}${failure}`);
    }
    return `${green ? '✓' : '✗'} ${name} ${parts.join(', ')}`;
  });
}

async function cancelRun(interaction: ChatInputCommandInteraction, context: InteractionContext): Promise<void> {
  const id = interaction.options.getString('run', true);
  const job = context.queue.cancel(id, `cancelled by ${interaction.user.username} from Discord`);
  if (!job) throw new UserError(`No running or queued run is called ${truncate(id, 128)}. /schedule lists them.`);
  await interaction.reply({ content: `Cancelling ${job.runId ?? job.id}.`, allowedMentions: { parse: [] } });
}

async function replyStatus(interaction: ChatInputCommandInteraction, context: InteractionContext): Promise<void> {
  const days = interaction.options.getInteger('days') ?? 7;
  const image = interaction.options.getString('image');
  if (image !== null) checkImage(image, context);
  const matrix = buildDashboardMatrix(new DashboardQueries(context.store.db), days, context.clock.now());
  const table = formatOutcomeMatrix({ ...matrix, rows: matrix.rows.filter((row) => image === null || row.image === image) });
  const link = context.links ? `\n${context.links.absolute(context.links.home(days))}` : '';
  await interaction.reply({ content: truncate(`\`\`\`\n${table}\n\`\`\``, MAX_CONTENT_CHARS - link.length) + link });
}

async function replyLogs(interaction: ChatInputCommandInteraction, context: InteractionContext): Promise<void> {
  const image = checkImage(interaction.options.getString('image', true), context);
  const runId = interaction.options.getString('run');
  const row = context.store.db
    .prepare(`SELECT run_id, log_path, status FROM image_results WHERE image = ? ${runId ? 'AND run_id = ?' : ''} ORDER BY started_at DESC, run_id DESC LIMIT 1`)
    .get(...(runId ? [image, runId] : [image])) as { run_id: string; log_path: string | null; status: string } | undefined;
  if (!row) throw new UserError(`No build of ${image}${runId ? ` in run ${truncate(runId, 128)}` : ''} is on record.`);

  const link = context.links ? `\nFull log: ${context.links.absolute(context.links.log(row.run_id, image, 'build'))}` : '';
  const head = `**${image}** in run ${row.run_id}: ${row.status}\n`;
  const tail = row.log_path && existsSync(row.log_path) ? renderLogTail(row.log_path, secretValues(), MAX_CONTENT_CHARS - head.length - link.length) : '_No log was written._';
  await interaction.reply({ content: `${head}${tail}${link}`, allowedMentions: { parse: [] } });
}

async function replySchedule(interaction: ChatInputCommandInteraction, context: InteractionContext): Promise<void> {
  const { schedule } = context.settings;
  const next = context.scheduler?.nextRun;
  const lines = [
    schedule.enabled && next ? `Next nightly: ${formatUtc(next)} (\`${schedule.cron}\`, ${schedule.timezone}).` : 'The nightly schedule is off (schedule.enabled).',
    ...context.queue.listRunning().map((job) => `Running: ${job.runId ?? job.id} (${job.kind} of ${job.images?.join(', ') ?? 'every image'})`),
    ...context.queue.listWaiting().map((job) => `Queued: ${job.id} (${job.kind} of ${job.images?.join(', ') ?? 'every image'})`),
  ];
  await interaction.reply({ content: truncate(lines.join('\n'), MAX_CONTENT_CHARS), allowedMentions: { parse: [] } });
}

async function replyOnCall(interaction: ChatInputCommandInteraction, context: InteractionContext, subcommand: string): Promise<void> {
  const now = context.clock.now();
  if (subcommand === 'show') {
    const turn = context.onCall.current(now);
    const text = turn ? `<@${turn.userId}> is on call until ${formatUtc(turn.endsAt)}${turn.source === 'override' ? ' (set with /oncall set)' : ''}.` : 'Nobody is on call: discord.oncall.rotation is empty.';
    await interaction.reply({ content: text, allowedMentions: { parse: [] } });
    return;
  }
  const turns = context.onCall.upcoming(now, 6);
  const text = turns.length === 0 ? 'The rotation is empty: set discord.oncall.rotation in drydock.yml.' : turns.map((turn) => `${formatUtc(turn.startsAt)}: <@${turn.userId}>`).join('\n');
  await interaction.reply({ content: text, allowedMentions: { parse: [] } });
}

async function setOnCall(interaction: ChatInputCommandInteraction, context: InteractionContext): Promise<void> {
  const user = interaction.options.getUser('user', true);
  const days = interaction.options.getInteger('days') ?? undefined;
  const turn = context.onCall.setOverride(user.id, context.clock.now(), interaction.user.id, days);
  await interaction.reply({ content: `<@${user.id}> is on call until ${formatUtc(turn.endsAt)}.`, allowedMentions: { parse: [] } });
}

async function fileIssue(interaction: ChatInputCommandInteraction | ButtonInteraction, context: InteractionContext, image: string, runId: string | undefined): Promise<void> {
  await interaction.deferReply();
  const filed = await fileIssueForFailure({ store: context.store, settings: context.settings, env: context.env, logger: context.logger, image, runId });
  const done = { created: 'Filed', commented: 'Commented on', reopened: 'Reopened', unchanged: 'Already up to date:' }[filed.action];
  const text = `${done} issue #${filed.number} for ${image} (fingerprint \`${filed.fingerprintId}\`): ${filed.url}`;
  const posted = context.reporter.postInThread(image, filed.fingerprintId, `issue-link:${interaction.id}`, `${text}, at the request of <@${interaction.user.id}>.`);
  await interaction.editReply({ content: truncate(posted ? `${text}\nThe link is posted in the triage thread.` : text, MAX_CONTENT_CHARS), allowedMentions: { parse: [] } });
}

/** Image names from the store and, when the sources were checked out, from their Dockerfiles. */
export function listKnownImages(store: Store, stateDir: string, discover: (sourceDir: string) => string[]): string[] {
  const names = new Set((store.db.prepare('SELECT DISTINCT image FROM image_results ORDER BY image').all() as { image: string }[]).map((row) => row.image));
  const checkout = path.join(stateDir, 'source');
  if (existsSync(checkout)) {
    try {
      for (const name of discover(checkout)) names.add(name);
    } catch {
      // A broken checkout leaves the names on record.
    }
  }
  return [...names].sort();
}
