import type { DashboardLinks } from '../dashboard/links.js';
import type { MessageBody } from '../outbox/types.js';
import { STATUS_GLYPHS } from '../report/matrix.js';
import type { Job, JobResult } from '../scheduler/job.js';
import type { ImageResultRecord } from '../store/types.js';
import { countEmbedChars, MAX_EMBED_DESCRIPTION_CHARS, MAX_EMBED_TITLE_CHARS, MAX_EMBED_TOTAL_CHARS, truncate } from './limits.js';

/** Embed colours: green, red, amber for a run in flight, grey for cancelled. */
const COLOURS = { succeeded: 0x2e7d32, failed: 0xc62828, running: 0xf9a825, cancelled: 0x757575 } as const;

export interface SummaryState {
  job: Job;
  runId: string | undefined;
  /** Every image's latest result, in catalog order. */
  images: ImageResultRecord[];
  done: number;
  total: number;
  /** Set once the run finished. */
  result?: JobResult;
  /** The run stopped before building, with this error. */
  error?: string;
  /** A thread mention, such as `<#{{id:thread:ci_cpu:abc}}>`, by failed image. */
  threads: Map<string, string>;
  links: DashboardLinks | undefined;
}

/**
 * Renders the run's summary message: one embed whose description has a line
 * per image. When the lines do not fit in Discord's limits (4096 characters
 * of description, 6000 in the message), lines lose their links, succeeded
 * images are counted instead of listed, and last the list is cut with a
 * count of the images left out.
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
    color: status === 'succeeded' ? COLOURS.succeeded : status === 'running' ? COLOURS.running : status === 'cancelled' ? COLOURS.cancelled : COLOURS.failed,
    fields,
    footer,
  };
  const runUrl = state.runId && state.links ? state.links.absolute(state.links.run(state.runId)) : undefined;
  if (runUrl) embed.url = runUrl;
  return { content: '', embeds: [embed], allowed_mentions: { parse: [] } };
}

function kindTitle(job: Job): string {
  if (job.kind === 'nightly') return 'Nightly';
  return job.kind === 'rebuild' ? 'Rebuild' : 'Validate';
}

function statusWord(status: string, state: SummaryState): string {
  if (status === 'running') return `${state.done}/${state.total} images done`;
  return status;
}

function summaryFields(state: SummaryState): { name: string; value: string; inline: boolean }[] {
  const fields: { name: string; value: string; inline: boolean }[] = [];
  const result = state.result;
  if (result?.shortCommit) fields.push({ name: 'Commit', value: truncate(`\`${result.shortCommit}\` ${result.commitSubject ?? ''}`, 200), inline: true });
  if (result?.tag) fields.push({ name: 'Tag', value: `\`${result.tag}\``, inline: true });
  const counts = countStatuses(state.images);
  if (counts) fields.push({ name: 'Images', value: counts, inline: true });
  if (state.job.requestedBy) fields.push({ name: 'Requested by', value: `<@${state.job.requestedBy}>`, inline: true });
  if (state.runId && state.links) fields.push({ name: 'Dashboard', value: `[run ${state.runId}](${state.links.absolute(state.links.run(state.runId))})`, inline: false });
  return fields;
}

function countStatuses(images: ImageResultRecord[]): string {
  const counts = new Map<string, number>();
  for (const image of images) counts.set(image.status, (counts.get(image.status) ?? 0) + 1);
  return [...counts].map(([status, count]) => `${count} ${status}`).join(', ');
}

/** Detail levels of one image line, from most to least. */
type Detail = 'full' | 'no-links' | 'bare';

function fitImageLines(state: SummaryState, budget: number): string {
  const images = state.images;
  const attempts: ((image: ImageResultRecord) => Detail)[] = [
    () => 'full',
    (image) => (image.status === 'succeeded' ? 'no-links' : 'full'),
    () => 'no-links',
    () => 'bare',
  ];
  for (const detailOf of attempts) {
    const text = images.map((image) => renderImageLine(image, detailOf(image), state)).join('\n');
    if (text.length <= budget) return text;
  }

  // Still too long: list the images that did not succeed and count the rest.
  const succeeded = images.filter((image) => image.status === 'succeeded');
  const others = images.filter((image) => image.status !== 'succeeded');
  const lines = others.map((image) => renderImageLine(image, 'no-links', state));
  const tail = succeeded.length > 0 ? [`${STATUS_GLYPHS.succeeded} ${succeeded.length} more images succeeded`] : [];
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

function renderImageLine(image: ImageResultRecord, detail: Detail, state: SummaryState): string {
  const glyph = STATUS_GLYPHS[image.status];
  if (detail === 'bare') return `${glyph} ${image.image} ${image.status}`;

  const parts = [`${glyph} **${image.image}** ${image.status}`];
  if (image.durationMs !== null) parts.push(formatDuration(image.durationMs));
  const tag = image.tags[1];
  if (tag && image.status === 'succeeded') parts.push(`\`${tag.slice(tag.lastIndexOf(':') + 1)}\``);
  if (image.status === 'failed' && image.failedStep) parts.push(`at \`${truncate(image.failedStep, 80)}\``);
  const thread = state.threads.get(image.image);
  if (thread) parts.push(thread);
  if (detail === 'full' && state.links && state.runId && image.logPath) {
    parts.push(`[log](${state.links.absolute(state.links.log(state.runId, image.image, 'build'))})`);
  }
  return parts.join(' · ');
}

export function formatDuration(ms: number): string {
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m ${String(seconds % 60).padStart(2, '0')}s`;
  return `${Math.floor(minutes / 60)}h ${String(minutes % 60).padStart(2, '0')}m`;
}
