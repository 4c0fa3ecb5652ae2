import { existsSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../logger.js';
import { imageToJson, matrixToJson, runDetailsToJson, runToJson } from './api.js';
import { DASHBOARD_CSS, DASHBOARD_JS } from './assets.js';
import { renderBadge } from './badge.js';
import { loadImageDetails } from './image-details.js';
import { LOG_KINDS, type DashboardLinks, type LogKind } from './links.js';
import { findLogSource, sendLogEvents, sendLogPage, sendRawLog } from './log-routes.js';
import { buildDashboardMatrix, DEFAULT_MATRIX_DAYS, MAX_MATRIX_DAYS } from './matrix-model.js';
import { renderMatrixPng, renderMatrixSvg } from './matrix-svg.js';
import { renderErrorPage } from './pages/error-page.js';
import { renderImagePage } from './pages/image-page.js';
import { renderMatrixPage } from './pages/matrix-page.js';
import { renderRunPage, renderRunsPage } from './pages/run-page.js';
import { loadRunDetails, type DashboardData } from './run-details.js';

export interface DashboardContext {
  data: DashboardData;
  links: DashboardLinks;
  logger: Logger;
  clock: () => Date;
  /** How often a live log checks its file for new lines. */
  logPollIntervalMs?: number;
}

/** A request error the client can fix: the status and a message that names the bad value. */
export class HttpError extends Error {
  constructor(
    readonly status: 400 | 404 | 405,
    message: string,
  ) {
    super(message);
  }
}

interface Request {
  raw: IncomingMessage;
  response: ServerResponse;
  /** The path with the public URL's base path taken off, still percent-encoded. */
  path: string;
  query: URLSearchParams;
  /** True for /api/ routes and /healthz, whose errors are sent as JSON instead of HTML. */
  wantsJson: boolean;
}

type Handler = (context: DashboardContext, request: Request, parameters: string[]) => Promise<void> | void;

const SEGMENT = '([^/]+)';
const ROUTES: [RegExp, Handler][] = [
  [/^\/$/, showMatrix],
  [/^\/runs$/, showRuns],
  [new RegExp(`^/runs/${SEGMENT}$`), showRun],
  [new RegExp(`^/runs/${SEGMENT}/logs/${SEGMENT}/${SEGMENT}$`), showLog],
  [new RegExp(`^/runs/${SEGMENT}/logs/${SEGMENT}/${SEGMENT}/stream$`), streamLog],
  [new RegExp(`^/images/${SEGMENT}$`), showImage],
  [/^\/api\/matrix$/, (context, request) => sendJson(request.response, matrixToJson(context.links, loadMatrix(context, request.query)))],
  [/^\/api\/runs$/, listRunsJson],
  [new RegExp(`^/api/runs/${SEGMENT}$`), showRunJson],
  [new RegExp(`^/api/images/${SEGMENT}$`), showImageJson],
  [/^\/badge\/([^/]+)\.svg$/, showBadge],
  [/^\/matrix\.svg$/, (context, request) => send(request.response, 200, 'image/svg+xml; charset=utf-8', renderMatrixSvg(loadMatrix(context, request.query)))],
  [/^\/matrix\.png$/, (context, request) => send(request.response, 200, 'image/png', renderMatrixPng(loadMatrix(context, request.query)))],
  [/^\/healthz$/, checkHealth],
  [/^\/assets\/dashboard\.css$/, (_context, request) => send(request.response, 200, 'text/css; charset=utf-8', DASHBOARD_CSS, true)],
  [/^\/assets\/dashboard\.js$/, (_context, request) => send(request.response, 200, 'text/javascript; charset=utf-8', DASHBOARD_JS, true)],
];

/** Routes one request; `path` is relative to the dashboard's base path. */
export async function routeRequest(context: DashboardContext, raw: IncomingMessage, response: ServerResponse, url: URL, path: string): Promise<void> {
  const request: Request = {
    raw,
    response,
    path,
    query: url.searchParams,
    wantsJson: path.startsWith('/api/') || path === '/healthz',
  };
  try {
    if (raw.method !== 'GET' && raw.method !== 'HEAD') {
      response.setHeader('allow', 'GET, HEAD');
      throw new HttpError(405, `method ${raw.method} is not allowed: the dashboard only serves GET and HEAD`);
    }
    for (const [pattern, handler] of ROUTES) {
      const match = pattern.exec(path);
      if (!match) continue;
      const parameters = match.slice(1).map((value) => decodeSegment(value));
      await handler(context, request, parameters);
      return;
    }
    throw new HttpError(404, `no page at ${path}`);
  } catch (error) {
    sendError(context, request, error);
  }
}

function decodeSegment(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    throw new HttpError(400, `the path segment ${JSON.stringify(value)} is not valid percent-encoding`);
  }
}

function sendError(context: DashboardContext, request: Request, error: unknown): void {
  const { response } = request;
  const status = error instanceof HttpError ? error.status : 500;
  const message = error instanceof HttpError ? error.message : 'the dashboard failed to render this page; the server log has the details';
  if (!(error instanceof HttpError)) context.logger.error({ err: error, path: request.path }, 'dashboard request failed');

  if (response.headersSent) {
    // The page was partly sent, so the status can no longer change: cut the response short.
    response.destroy();
    return;
  }
  if (request.wantsJson) {
    sendJson(response, { error: message }, status);
  } else {
    send(response, status, 'text/html; charset=utf-8', renderErrorPage(context.links, status, message));
  }
}

function send(response: ServerResponse, status: number, contentType: string, body: string | Buffer, cacheable = false): void {
  response.writeHead(status, {
    'content-type': contentType,
    'content-length': Buffer.byteLength(body),
    'cache-control': cacheable ? 'public, max-age=300' : 'no-cache',
  });
  response.end(body);
}

function sendJson(response: ServerResponse, value: unknown, status = 200): void {
  send(response, status, 'application/json; charset=utf-8', `${JSON.stringify(value)}\n`);
}

/** Reads a whole-number query parameter, or `fallback` when it is absent. */
export function readIntegerParameter(query: URLSearchParams, name: string, fallback: number, min: number, max: number): number {
  const values = query.getAll(name);
  if (values.length === 0) return fallback;
  if (values.length > 1) throw new HttpError(400, `?${name}= is given ${values.length} times: give it once`);
  const text = values[0]!;
  const value = /^[0-9]{1,15}$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new HttpError(400, `?${name}=${text} is invalid: give a whole number from ${min} to ${max}`);
  }
  return value;
}

function loadMatrix(context: DashboardContext, query: URLSearchParams) {
  const days = readIntegerParameter(query, 'days', DEFAULT_MATRIX_DAYS, 1, MAX_MATRIX_DAYS);
  return buildDashboardMatrix(context.data.queries, days, context.clock());
}

function showMatrix(context: DashboardContext, request: Request): void {
  send(request.response, 200, 'text/html; charset=utf-8', renderMatrixPage(context.links, loadMatrix(context, request.query)));
}

const DEFAULT_RUN_LIMIT = 100;
const MAX_RUN_LIMIT = 1000;

function showRuns(context: DashboardContext, request: Request): void {
  const limit = readIntegerParameter(request.query, 'limit', DEFAULT_RUN_LIMIT, 1, MAX_RUN_LIMIT);
  send(request.response, 200, 'text/html; charset=utf-8', renderRunsPage(context.links, context.data.store.listRuns({ limit })));
}

function listRunsJson(context: DashboardContext, request: Request): void {
  const limit = readIntegerParameter(request.query, 'limit', DEFAULT_RUN_LIMIT, 1, MAX_RUN_LIMIT);
  const runs = context.data.store.listRuns({ limit });
  sendJson(request.response, { runs: runs.map((run) => runToJson(context.links, run)) });
}

function requireRun(context: DashboardContext, runId: string) {
  const details = loadRunDetails(context.data, runId);
  if (!details) throw new HttpError(404, `no run ${runId} is recorded`);
  return details;
}

function showRun(context: DashboardContext, request: Request, [runId]: string[]): void {
  send(request.response, 200, 'text/html; charset=utf-8', renderRunPage(context.links, requireRun(context, runId!)));
}

function showRunJson(context: DashboardContext, request: Request, [runId]: string[]): void {
  sendJson(request.response, runDetailsToJson(context.links, requireRun(context, runId!)));
}

function requireImage(context: DashboardContext, image: string) {
  const details = loadImageDetails(context.data, image);
  if (!details) throw new HttpError(404, `no image ${image} has been built`);
  return details;
}

function showImage(context: DashboardContext, request: Request, [image]: string[]): void {
  send(request.response, 200, 'text/html; charset=utf-8', renderImagePage(context.links, requireImage(context, image!)));
}

function showImageJson(context: DashboardContext, request: Request, [image]: string[]): void {
  sendJson(request.response, imageToJson(context.links, requireImage(context, image!)));
}

function showBadge(context: DashboardContext, request: Request, [image]: string[]): void {
  const details = loadImageDetails(context.data, image!);
  // A missing image still gets a badge, so a README shows "unknown image" instead of a broken picture.
  const outcome = details === undefined ? 'unknown' : (details.history[0]?.outcome ?? 'not-run');
  send(request.response, details === undefined ? 404 : 200, 'image/svg+xml; charset=utf-8', renderBadge(image!, outcome));
}

function requireLog(context: DashboardContext, runId: string, image: string, kind: string) {
  if (!(LOG_KINDS as readonly string[]).includes(kind)) {
    throw new HttpError(404, `no log kind ${kind}: logs are ${LOG_KINDS.join(' or ')}`);
  }
  const source = findLogSource(context, runId, image, kind as LogKind);
  if (typeof source === 'string') throw new HttpError(404, source);
  if (!existsSync(source.file)) throw new HttpError(404, `the ${kind} log of ${image} in run ${runId} is missing on the server`);
  return { source, kind: kind as LogKind };
}

async function showLog(context: DashboardContext, request: Request, [runId, image, kind]: string[]): Promise<void> {
  const log = requireLog(context, runId!, image!, kind!);
  if (request.query.has('raw')) {
    await sendRawLog(request.response, log.source, `${runId}-${image}.${log.kind}.log`);
    return;
  }
  await sendLogPage(context, request.response, log.source, { runId: runId!, image: image!, kind: log.kind });
}

async function streamLog(context: DashboardContext, request: Request, [runId, image, kind]: string[]): Promise<void> {
  const log = requireLog(context, runId!, image!, kind!);
  const lastEventId = request.raw.headers['last-event-id'];
  const offset =
    typeof lastEventId === 'string' && /^[0-9]{1,15}$/.test(lastEventId)
      ? Number(lastEventId)
      : readIntegerParameter(request.query, 'offset', 0, 0, Number.MAX_SAFE_INTEGER);
  await sendLogEvents(request.raw, request.response, log.source, offset, context.logPollIntervalMs);
}

function checkHealth(context: DashboardContext, request: Request): void {
  context.data.store.db.prepare('SELECT 1').get();
  sendJson(request.response, { status: 'ok', time: context.clock().toISOString() });
}
