import { createReadStream, realpathSync } from 'node:fs';
import path from 'node:path';
import { stat } from 'node:fs/promises';
import { createGunzip } from 'node:zlib';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { escapeHtml, html } from './html.js';
import type { LogKind } from './links.js';
import { findLastLineEnd, findLineStartAfter, followLogFile, pipeFileRange, waitForDrain } from './log-stream.js';
import { renderLayout } from './pages/layout.js';
import type { DashboardContext } from './routes.js';

/** The most of a log the HTML page shows; the full file is one click away as `?raw`. */
export const LOG_PAGE_MAX_BYTES = 1024 * 1024;
const LOG_MARKER = '\u0000log\u0000';
/** A comment line sent to an idle event stream so proxies keep the connection. */
const HEARTBEAT_INTERVAL_MS = 15_000;

export interface LogSource {
  file: string;
  /** True while the build or validation that writes the log is still going. */
  isWriting: () => boolean;
  /** The state shown once writing stops, such as "build finished: failed". */
  describeState: () => string;
}

/**
 * Finds the log of one image in one run, or a reason it has none. The path
 * comes from the store, never from the request, so no URL can name another file.
 */
export function findLogSource(context: DashboardContext, runId: string, image: string, kind: LogKind): LogSource | string {
  const source = findRecordedLog(context, runId, image, kind);
  if (typeof source === 'string' || isInsideLogsFolder(context, source.file)) return source;

  context.logger.warn({ runId, image, kind, file: source.file }, 'log path outside the state directory refused');
  return `the log of ${image} in run ${runId} is outside the state directory's logs folder`;
}

/**
 * True when `file`, with symbolic links resolved, lies in `<state>/logs`:
 * a store edited by hand or by a bug cannot make the dashboard serve any
 * other file of the machine.
 */
function isInsideLogsFolder(context: DashboardContext, file: string): boolean {
  const logsFolder = path.join(path.dirname(context.data.store.db.name), 'logs');
  try {
    const realFile = realpathSync(file);
    const realFolder = realpathSync(logsFolder);
    return realFile.startsWith(realFolder + path.sep);
  } catch {
    // A missing file or folder: let the route report the missing log as it does.
    return path.resolve(file).startsWith(path.resolve(logsFolder) + path.sep);
  }
}

function findRecordedLog(context: DashboardContext, runId: string, image: string, kind: LogKind): LogSource | string {
  const { store, queries } = context.data;
  const run = store.getRun(runId);
  if (!run) return `no run ${runId} is recorded`;
  const runIsRunning = () => store.getRun(runId)?.status === 'running';

  if (kind === 'build') {
    const findBuild = () => store.listImageResults(runId).find((result) => result.image === image);
    const build = findBuild();
    if (!build) return `run ${runId} has no build of image ${image}`;
    if (build.logPath === null) return `the build of ${image} in run ${runId} has no log: it did not start (${build.status})`;
    return {
      file: build.logPath,
      isWriting: () => runIsRunning() && ['pending', 'running'].includes(findBuild()?.status ?? ''),
      describeState: () => `build ${findBuild()?.status ?? 'gone'}`,
    };
  }

  const findValidation = () => queries.getValidateImage(runId, image);
  const validation = findValidation();
  if (!validation) return `run ${runId} has no validation of image ${image}`;
  if (validation.logPath === null) return `the validation of ${image} in run ${runId} has no log: it did not start (${validation.status})`;
  return {
    file: validation.logPath,
    isWriting: () => runIsRunning() && ['pending', 'running'].includes(findValidation()?.status ?? ''),
    describeState: () => `validation ${findValidation()?.status ?? 'gone'}`,
  };
}

/** Sends the whole log as a plain-text download, streamed from disk. */
export async function sendRawLog(response: ServerResponse, source: LogSource, fileName: string): Promise<void> {
  if (isCompressed(source.file)) {
    response.writeHead(200, {
      'content-type': 'text/plain; charset=utf-8',
      'content-disposition': `attachment; filename="${fileName.replace(/[^A-Za-z0-9._-]/g, '_')}"`,
    });
    for await (const chunk of createReadStream(source.file).pipe(createGunzip())) {
      if (!response.write(chunk)) await waitForDrain(response);
    }
    response.end();
    return;
  }
  const size = (await stat(source.file)).size;
  response.writeHead(200, {
    'content-type': 'text/plain; charset=utf-8',
    'content-length': size,
    'content-disposition': `attachment; filename="${fileName.replace(/[^A-Za-z0-9._-]/g, '_')}"`,
  });
  await pipeFileRange(source.file, 0, size, response, (text) => text);
  response.end();
}

/**
 * Sends the log page: the last `LOG_PAGE_MAX_BYTES` up to the last complete
 * line, escaped and streamed from disk. While the log is being written, the
 * page names an event stream that continues from that offset.
 */
export async function sendLogPage(
  context: DashboardContext,
  response: ServerResponse,
  source: LogSource,
  target: { runId: string; image: string; kind: LogKind },
): Promise<void> {
  const { links } = context;
  if (isCompressed(source.file)) {
    await sendCompressedLogPage(context, response, source, target);
    return;
  }
  const writing = source.isWriting();
  const size = (await stat(source.file)).size;
  // A finished log is shown to its very end; a growing one stops at a line boundary so the stream continues cleanly.
  const end = writing ? await findLastLineEnd(source.file, size) : size;
  const start = end > LOG_PAGE_MAX_BYTES ? await findLineStartAfter(source.file, end - LOG_PAGE_MAX_BYTES, end) : 0;

  const logPath = links.log(target.runId, target.image, target.kind);
  const stream = `${logPath}/stream?offset=${end}`;
  const status = writing
    ? `${target.kind} running: new lines appear below as they are written (with JavaScript; otherwise reload).`
    : `${source.describeState()}.`;
  const page = renderLayout(
    links,
    `${target.image} ${target.kind} log`,
    html`<h1>${target.kind} log of <a href="${links.image(target.image)}">${target.image}</a> in run <a href="${links.run(target.runId)}">${target.runId}</a></h1>
<p><span id="log-status">${status}</span> <a href="${logPath}?raw">Download the full log</a></p>
${start > 0 ? html`<p class="muted">Showing the last ${Math.round((end - start) / 1024)} KiB of ${Math.round(size / 1024)} KiB.</p>` : ''}
<pre class="log" id="log"${writing ? html` data-stream="${stream}"` : ''}>${LOG_MARKER}</pre>`,
  );
  // Only layout text follows the marker, so its last occurrence is the one in the pre element.
  const split = page.lastIndexOf(LOG_MARKER);
  const [before, after] = [page.slice(0, split), page.slice(split + LOG_MARKER.length)];

  response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
  response.write(before);
  await pipeFileRange(source.file, start, end, response, escapeHtml);
  response.end(after);
}

/** True for a log that retention has compressed with gzip. */
function isCompressed(file: string): boolean {
  return file.endsWith('.gz');
}

/**
 * Sends the page of a compressed log: it is finished, so the page shows its
 * last `LOG_PAGE_MAX_BYTES`, kept while the file is decompressed as a stream.
 */
async function sendCompressedLogPage(
  context: DashboardContext,
  response: ServerResponse,
  source: LogSource,
  target: { runId: string; image: string; kind: LogKind },
): Promise<void> {
  const { links } = context;
  let tail = Buffer.alloc(0);
  let total = 0;
  for await (const chunk of createReadStream(source.file).pipe(createGunzip())) {
    total += (chunk as Buffer).length;
    tail = Buffer.concat([tail, chunk as Buffer]);
    if (tail.length > 2 * LOG_PAGE_MAX_BYTES) tail = tail.subarray(tail.length - LOG_PAGE_MAX_BYTES);
  }
  if (tail.length > LOG_PAGE_MAX_BYTES) tail = tail.subarray(tail.length - LOG_PAGE_MAX_BYTES);
  const firstNewline = total > tail.length ? tail.indexOf(10) + 1 : 0;
  const text = tail.subarray(firstNewline).toString('utf8');

  const logPath = links.log(target.runId, target.image, target.kind);
  const page = renderLayout(
    links,
    `${target.image} ${target.kind} log`,
    html`<h1>${target.kind} log of <a href="${links.image(target.image)}">${target.image}</a> in run <a href="${links.run(target.runId)}">${target.runId}</a></h1>
<p><span id="log-status">${source.describeState()}; the log is compressed by retention.</span> <a href="${logPath}?raw">Download the full log</a></p>
${total > text.length ? html`<p class="muted">Showing the last ${Math.round(text.length / 1024)} KiB of ${Math.round(total / 1024)} KiB.</p>` : ''}
<pre class="log" id="log">${text}</pre>`,
  );
  response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
  response.end(page);
}

/**
 * Sends the lines appended from `?offset=` (or the `Last-Event-ID` an
 * EventSource sends when it reconnects) as Server-Sent Events, each line one
 * `message` with the offset after it as its id, then an `end` event once the
 * log stops growing.
 */
export async function sendLogEvents(
  request: IncomingMessage,
  response: ServerResponse,
  source: LogSource,
  offset: number,
  pollIntervalMs: number | undefined,
): Promise<void> {
  const controller = new AbortController();
  request.on('close', () => controller.abort());
  response.on('close', () => controller.abort());

  response.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    'x-accel-buffering': 'no',
  });
  response.write('retry: 2000\n\n');
  const heartbeat = setInterval(() => response.write(': keep-alive\n\n'), HEARTBEAT_INTERVAL_MS);
  heartbeat.unref();

  try {
    // An offset inside a line moves on to the next line start, and one past the end to the end.
    const size = (await stat(source.file)).size;
    const start = await findLineStartAfter(source.file, Math.min(offset, size), size);
    await followLogFile({
      file: source.file,
      offset: start,
      isWriting: source.isWriting,
      signal: controller.signal,
      pollIntervalMs,
      onLine: async (line, nextOffset) => {
        // A carriage return ends an event line in SSE, so each piece goes as its own data line.
        const data = line.split('\r').map((piece) => `data: ${piece}`).join('\n');
        if (!response.write(`id: ${nextOffset}\n${data}\n\n`)) await waitForDrain(response);
      },
    });
    if (!controller.signal.aborted) response.end(`event: end\ndata: ${source.describeState()}.\n\n`);
  } finally {
    clearInterval(heartbeat);
  }
}
