import type { DashboardLinks } from '../dashboard/links.js';
import type { MessageBody } from '../outbox/types.js';
import { STATUS_GLYPHS } from '../report/matrix.js';
import type { ImageValidationOutcome, Job, JobResult, Progress } from '../scheduler/job.js';
import type { ImageResultRecord } from '../store/types.js';
import type { ValidateImageRecord, ValidateStatus } from '../store/validate-types.js';
import { countEmbedChars, MAX_EMBED_DESCRIPTION_CHARS, MAX_EMBED_FIELD_VALUE_CHARS, MAX_EMBED_TITLE_CHARS, MAX_EMBED_TOTAL_CHARS, truncate } from './limits.js';

/** Embed colours: green, red, amber for a run in flight, grey for cancelled. */
const COLOURS = { succeeded: 0x2e7d32, failed: 0xc62828, running: 0xf9a825, cancelled: 0x757575 } as const;

export interface SummaryState {
  job: Job;
  runId: string | undefined;
  /** Every image's latest result, in catalog order. */
  images: ImageResultRecord[];
  done: number;
  total: number;
  /** Each image's latest validation, live while the run goes on. */
  validations: Map<string, ValidateImageRecord>;
  /** Validations settled out of total, once validation started. */
  validationProgress?: Progress;
  /** Set once the run finished. */
  result?: JobResult;
  /** The file name of an attached image the embed shows, such as matrix.png. */
  attachedImage?: string;
  /** The run stopped before building, with this error. */
  error?: string;
  /** A thread mention, such as `<#{{id:thread:ci_cpu:abc}}>`, by failed image. */
  threads: Map<string, string>;
  links: DashboardLinks | undefined;
}

/**
 * Renders the run's summary message: one embed whose description has a line
 * per image, with its build and its tests. Discord allows 4096 characters of
 * description and 6000 in the message. When the lines do not fit, they lose
 * their links first, then green images are counted instead of listed, and
 * last the list is cut with a count of the images left out.
 */
export function renderSummary(state: SummaryState): MessageBody {
  const status = state.result?.status ?? (state.error ? 'failed' : 'running');
  const title = truncate(`${kindTitle(state.job)} ${state.runId ?? state.job.id}: ${statusWord(status, state)}`, MAX_EMBED_TITLE_CHARS);
  const fields = summaryFields(state);
  const footer = { text: `drydock · ${state.job.id}` };
  const fixed = countEmbedChars([{ title, fields, footer }]);
  const budget = Math.min(MAX_EMBED_DESCRIPTION_CHARS, MAX_EMBED_TOTAL_CHARS - fixed);
  const description = state.error ? truncate(`The run stopped before building: ${state.error}`, budget) : fitImageLines(state, budget);

  const embed: Record<string, unknown> = {
    title,
    description,
    color: colourOf(status),
    fields,
    footer,
  };
  const runUrl = state.runId && state.links ? state.links.absolute(state.links.run(state.runId)) : undefined;
  if (runUrl) embed.url = runUrl;
  if (state.attachedImage) embed.image = { url: `attachment://${state.attachedImage}` };
  return { content: '', embeds: [embed], allowed_mentions: { parse: [] } };
}

function colourOf(status: string): number {
  if (status === 'succeeded') return COLOURS.succeeded;
  if (status === 'running') return COLOURS.running;
  if (status === 'cancelled') return COLOURS.cancelled;
  return COLOURS.failed;
}

function kindTitle(job: Job): string {
  if (job.kind === 'nightly') return 'Nightly';
  return job.kind === 'rebuild' ? 'Rebuild' : 'Validate';
}

function statusWord(status: string, state: SummaryState): string {
  if (status !== 'running') return status;
  const tested = state.validationProgress;
  if (state.job.kind === 'validate') return `${tested?.done ?? 0}/${tested?.total ?? 0} images tested`;
  if (tested) return `${state.done}/${state.total} images built, ${tested.done}/${tested.total} tested`;
  return `${state.done}/${state.total} images done`;
}

function summaryFields(state: SummaryState): { name: string; value: string; inline: boolean }[] {
  const fields: { name: string; value: string; inline: boolean }[] = [];
  const result = state.result;
  if (result?.shortCommit) fields.push({ name: 'Commit', value: truncate(`\`${result.shortCommit}\` ${result.commitSubject ?? ''}`, 200), inline: true });
  if (result?.tag) fields.push({ name: 'Tag', value: `\`${result.tag}\``, inline: true });
  const counts = countStatuses(state.images.map((image) => image.status));
  if (counts) fields.push({ name: state.validations.size > 0 ? 'Builds' : 'Images', value: counts, inline: true });
  const tests = countStatuses([...state.validations.values()].map((record) => record.status));
  if (tests) fields.push({ name: 'Tests', value: tests, inline: true });
  const regressed = (result?.validation?.images ?? []).filter((image) => image.regressions.length > 0).map((image) => image.record.image);
  if (regressed.length > 0) fields.push({ name: 'Image regressions', value: truncate(regressed.join(', '), MAX_EMBED_FIELD_VALUE_CHARS), inline: false });
  if (state.job.requestedBy) fields.push({ name: 'Requested by', value: `<@${state.job.requestedBy}>`, inline: true });
  if (state.runId && state.links) fields.push({ name: 'Dashboard', value: `[run ${state.runId}](${state.links.absolute(state.links.run(state.runId))})`, inline: false });
  return fields;
}

function countStatuses(statuses: string[]): string {
  const counts = new Map<string, number>();
  for (const status of statuses) counts.set(status, (counts.get(status) ?? 0) + 1);
  return [...counts].map(([status, count]) => `${count} ${status}`).join(', ');
}

/** Detail levels of one image line, from most to least. */
type Detail = 'full' | 'no-links' | 'bare';

/** One image's line: its build, when this job built or tested it, and its validation, once started. */
interface ImageLine {
  image: string;
  build: ImageResultRecord | undefined;
  validation: ValidateImageRecord | undefined;
  outcome: ImageValidationOutcome | undefined;
}

function fitImageLines(state: SummaryState, budget: number): string {
  const images = listImageLines(state);
  const attempts: ((line: ImageLine) => Detail)[] = [
    () => 'full',
    (line) => (isGreen(line) ? 'no-links' : 'full'),
    () => 'no-links',
    () => 'bare',
  ];
  for (const detailOf of attempts) {
    const text = images.map((line) => renderImageLine(line, detailOf(line), state)).join('\n');
    if (text.length <= budget) return text;
  }

  // Still too long: list the images that did not succeed and count the rest.
  const green = images.filter(isGreen);
  const others = images.filter((line) => !isGreen(line));
  const lines = others.map((line) => renderImageLine(line, 'no-links', state));
  const tail = green.length > 0 ? [`${STATUS_GLYPHS.succeeded} ${green.length} more images succeeded`] : [];
  const text = [...lines, ...tail].join('\n');
  if (text.length <= budget) return text;

  const kept: string[] = [];
  let used = 0;
  for (const line of lines) {
    const reserve = 60;
    if (used + line.length + 1 > budget - reserve) break;
    kept.push(line);
    used += line.length + 1;
  }
  return `${kept.join('\n')}\n… and ${images.length - kept.length} more images: see the dashboard`;
}

function listImageLines(state: SummaryState): ImageLine[] {
  const outcomes = new Map((state.result?.validation?.images ?? []).map((outcome) => [outcome.record.image, outcome]));
  const validationOf = (image: string) => outcomes.get(image)?.record ?? state.validations.get(image);
  const lines: ImageLine[] = state.images.map((build) => ({ image: build.image, build, validation: validationOf(build.image), outcome: outcomes.get(build.image) }));
  const named = new Set(state.images.map((build) => build.image));
  for (const image of new Set([...state.validations.keys(), ...outcomes.keys()])) {
    if (!named.has(image)) lines.push({ image, build: undefined, validation: validationOf(image), outcome: outcomes.get(image) });
  }
  return lines;
}

/** Glyphs of validation statuses, in the matrix's glyph set. */
const VALIDATION_GLYPHS: Record<ValidateStatus, string> = {
  pending: STATUS_GLYPHS.pending,
  running: STATUS_GLYPHS.running,
  passed: STATUS_GLYPHS.succeeded,
  failed: STATUS_GLYPHS.failed,
  error: STATUS_GLYPHS.failed,
  cancelled: STATUS_GLYPHS.cancelled,
  skipped: STATUS_GLYPHS.skipped,
};

/** Returns true when the image built and, where it was tested, passed. */
function isGreen(line: ImageLine): boolean {
  if (line.build && line.build.status !== 'succeeded') return false;
  return line.validation === undefined || line.validation.status === 'passed';
}

function lineGlyph(line: ImageLine): string {
  if (line.build && line.build.status !== 'succeeded') return STATUS_GLYPHS[line.build.status];
  if (line.validation) return VALIDATION_GLYPHS[line.validation.status];
  return STATUS_GLYPHS[line.build?.status ?? 'pending'];
}

function renderImageLine(line: ImageLine, detail: Detail, state: SummaryState): string {
  const { build, validation } = line;
  const glyph = lineGlyph(line);
  if (detail === 'bare') {
    const parts = [build ? `${glyph} ${line.image} ${build.status}` : `${glyph} ${line.image}`];
    if (validation) parts.push(`tests ${validation.status}`);
    return parts.join(', ');
  }

  const parts = [build ? `${glyph} **${line.image}** ${build.status}` : `${glyph} **${line.image}**`];
  if (build?.durationMs != null) parts.push(formatDuration(build.durationMs));
  const tag = build?.tags[1];
  if (tag && build.status === 'succeeded') parts.push(`\`${tag.slice(tag.lastIndexOf(':') + 1)}\``);
  if (build?.status === 'failed' && build.failedStep) parts.push(`at \`${truncate(build.failedStep, 80)}\``);
  if (validation) parts.push(describeValidation(validation, line.outcome));
  const thread = state.threads.get(line.image);
  if (thread) parts.push(thread);
  if (detail === 'full' && state.links) {
    const buildRunId = build?.runId;
    if (buildRunId && build.logPath) parts.push(`[log](${state.links.absolute(state.links.log(buildRunId, line.image, 'build'))})`);
    if (validation?.logPath) parts.push(`[test log](${state.links.absolute(state.links.log(validation.runId, line.image, 'validate'))})`);
  }
  return parts.join(' · ');
}

/** Describes a validation, naming the first failed command of each class. */
function describeValidation(record: ValidateImageRecord, outcome: ImageValidationOutcome | undefined): string {
  const took = record.durationMs === null ? '' : ` in ${formatDuration(record.durationMs)}`;
  const text = `tests ${record.status}${took}`;
  if (!outcome) return record.status === 'skipped' || record.status === 'error' ? `${text}${record.error ? `: ${truncate(record.error, 80)}` : ''}` : text;

  const classes: string[] = [];
  if (outcome.regressions.length > 0) classes.push(`image regression in \`${truncate(outcome.regressions[0]!, 60)}\`${more(outcome.regressions)}`);
  if (outcome.sourceFailures.length > 0) classes.push(`fails on production too: \`${truncate(outcome.sourceFailures[0]!, 60)}\`${more(outcome.sourceFailures)}`);
  if (outcome.unclassified.length > 0) classes.push(`failed: \`${truncate(outcome.unclassified[0]!, 60)}\`${more(outcome.unclassified)}`);
  if (classes.length === 0 && record.error && record.status !== 'passed') classes.push(truncate(record.error, 80));
  return classes.length === 0 ? text : `${text}: ${classes.join('; ')}`;
}

function more(commands: string[]): string {
  return commands.length > 1 ? ` and ${commands.length - 1} more` : '';
}

export function formatDuration(ms: number): string {
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m ${String(seconds % 60).padStart(2, '0')}s`;
  return `${Math.floor(minutes / 60)}h ${String(minutes % 60).padStart(2, '0')}m`;
}
