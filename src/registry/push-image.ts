import type Docker from 'dockerode';
import type { LogFile } from '../build/log-file.js';
import { splitReference } from '../catalog/image-reference.js';
import { EngineFaultError } from '../engine/engine-fault.js';
import { followProgress } from '../engine/progress.js';
import type { RegistryAuth } from './credentials.js';

export interface PushRequest {
  /** Full references to push, all of one repository. */
  references: string[];
  auth: RegistryAuth | undefined;
  retries: number;
  log: LogFile;
  signal: AbortSignal;
  /** First wait between attempts; it doubles after each. */
  retryDelayMs?: number;
}

export type PushOutcome = { ok: true; digest: string } | { ok: false; error: string; cancelled: boolean };

const DEFAULT_RETRY_DELAY_MS = 1_000;

/** `Image.push` as dockerode implements it; its published types omit the auth argument and the stream result. */
type PushCall = (options: { tag: string; abortSignal: AbortSignal }, callback: undefined, auth: RegistryAuth | undefined) => Promise<NodeJS.ReadableStream>;

/** Errors that a later attempt cannot fix: retrying them only delays the report. */
const PERMANENT_PUSH_ERROR = /unauthorized|authentication required|denied|forbidden|name unknown|no such image|invalid reference/i;

/**
 * Pushes each reference, retrying transient errors with exponential backoff,
 * and returns the manifest digest the registry reported.
 */
export async function pushImage(docker: Docker, request: PushRequest): Promise<PushOutcome> {
  let digest: string | undefined;
  for (const reference of request.references) {
    const outcome = await pushWithRetries(docker, reference, request);
    if (!outcome.ok) return outcome;
    digest ??= outcome.digest;
    if (digest !== outcome.digest) {
      return { ok: false, error: `the registry reported two digests for one image: ${digest} and ${outcome.digest}`, cancelled: false };
    }
  }
  return digest === undefined ? { ok: false, error: 'nothing was pushed', cancelled: false } : { ok: true, digest };
}

async function pushWithRetries(docker: Docker, reference: string, request: PushRequest): Promise<PushOutcome> {
  const { repository, tag } = splitReference(reference);
  const firstDelayMs = request.retryDelayMs ?? DEFAULT_RETRY_DELAY_MS;
  let lastError = '';

  for (let attempt = 0; attempt <= request.retries; attempt++) {
    if (attempt > 0) {
      const delayMs = firstDelayMs * 2 ** (attempt - 1);
      await request.log.note(`push of ${reference} failed (${lastError}); attempt ${attempt + 1} of ${request.retries + 1} in ${delayMs} ms`);
      await sleep(delayMs, request.signal);
    }
    if (request.signal.aborted) return { ok: false, error: 'push cancelled', cancelled: true };

    await request.log.note(`pushing ${reference}`);
    try {
      const push = docker.getImage(repository).push as unknown as PushCall;
      const stream = await push.call(docker.getImage(repository), { tag, abortSignal: request.signal }, undefined, request.auth);
      const progress = await followProgress(stream, request.log);
      const digest = progress.aux.map((aux) => aux.Digest).find((value): value is string => typeof value === 'string');
      if (progress.error === undefined && digest !== undefined) {
        await request.log.note(`pushed ${reference} (${digest})`);
        return { ok: true, digest };
      }
      lastError = progress.error ?? 'the engine reported no digest';
    } catch (error) {
      if (request.signal.aborted) return { ok: false, error: 'push cancelled', cancelled: true };
      // The registry's errors arrive inside the progress stream; a thrown
      // error without an HTTP status below 500 comes from the engine itself.
      const status = (error as { statusCode?: number }).statusCode;
      if (status === undefined || status >= 500) {
        throw new EngineFaultError(`connection to the engine failed during the push: ${(error as Error).message}`, { cause: error });
      }
      lastError = (error as Error).message;
    }
    if (PERMANENT_PUSH_ERROR.test(lastError)) break;
  }
  return { ok: false, error: lastError, cancelled: false };
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
  });
}
