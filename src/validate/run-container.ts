import { PassThrough } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type Docker from 'dockerode';
import type { LogFile } from '../build/log-file.js';
import type { Logger } from '../logger.js';
import type { CommandStatus } from '../store/validate-types.js';

export interface ContainerRequest {
  /** Image reference or id to run. */
  image: string;
  /** A shell command, run with `sh -c`. */
  command: string;
  workdir?: string;
  /** Host folders to mount, by path in the container. */
  mounts?: Record<string, string>;
  env?: Record<string, string>;
  /** Docker network mode; undefined keeps the engine's default. */
  network?: string;
  labels: Record<string, string>;
  timeoutMs: number;
  signal: AbortSignal;
  /** Receives stdout and stderr, line by line, when set. */
  log?: LogFile;
  /** Receives stdout alone, when set; its text then does not go to the log. */
  onStdout?: (text: string) => void;
  logger: Logger;
}

export interface ContainerOutcome {
  status: CommandStatus;
  /** The process's exit code, or null when it never ran or the engine did not report one. */
  exitCode: number | null;
  durationMs: number;
  error: string | null;
}

/** How long the output streams may lag behind the container's exit before they are cut. */
const OUTPUT_DRAIN_TIMEOUT_MS = 10_000;
/** Time allowed for an engine call that a healthy engine completes at once: create, attach, start, kill, remove. */
const ENGINE_CALL_TIMEOUT_MS = 60_000;

/**
 * Runs one command in a fresh container and removes the container
 * afterwards, whatever happens: exit, timeout, cancel or engine error. A
 * timeout or cancel kills the container; a failing command is a result, not
 * an exception.
 */
export async function runContainer(docker: Docker, request: ContainerRequest): Promise<ContainerOutcome> {
  const started = Date.now();
  const elapsed = () => Date.now() - started;
  let container: Docker.Container | undefined;
  let output: { drained: Promise<void>; stream: NodeJS.ReadableStream } | undefined;

  try {
    if (request.signal.aborted) return { status: 'cancelled', exitCode: null, durationMs: 0, error: 'cancelled before the command started' };

    container = await withDeadline((abortSignal) => docker.createContainer({
      abortSignal,
      Image: request.image,
      Cmd: ['sh', '-c', request.command],
      WorkingDir: request.workdir,
      Env: Object.entries(request.env ?? {}).map(([name, value]) => `${name}=${value}`),
      Labels: request.labels,
      Tty: false,
      AttachStdout: true,
      AttachStderr: true,
      HostConfig: {
        Binds: Object.entries(request.mounts ?? {}).map(([target, source]) => `${source}:${target}`),
        ...(request.network ? { NetworkMode: request.network } : {}),
      },
    }));

    const created = container;
    output = await withDeadline((abortSignal) => attachOutput(docker, created, request, abortSignal));
    await withDeadline((abortSignal) => created.start({ abortSignal }));
    const ended = await waitWithLimits(container, request);
    await Promise.race([output.drained, delay(OUTPUT_DRAIN_TIMEOUT_MS)]);

    if (ended.reason === 'timeout') {
      const minutes = request.timeoutMs / 60_000;
      await request.log?.note(`command timed out after ${formatMinutes(minutes)} and was killed`);
      return { status: 'timeout', exitCode: ended.exitCode, durationMs: elapsed(), error: `timed out after ${formatMinutes(minutes)}` };
    }
    if (ended.reason === 'cancelled') {
      await request.log?.note('command cancelled; its container was killed');
      return { status: 'cancelled', exitCode: ended.exitCode, durationMs: elapsed(), error: 'cancelled' };
    }
    const status = ended.exitCode === 0 ? 'passed' : 'failed';
    return { status, exitCode: ended.exitCode, durationMs: elapsed(), error: status === 'failed' ? `exited with code ${ended.exitCode}` : null };
  } catch (error) {
    if (request.signal.aborted) return { status: 'cancelled', exitCode: null, durationMs: elapsed(), error: 'cancelled' };
    const message = (error as Error).message;
    await request.log?.note(`the engine failed to run the command: ${message}`);
    return { status: 'error', exitCode: null, durationMs: elapsed(), error: `the engine failed to run the command: ${message}` };
  } finally {
    // A stream the engine never ended would keep its socket open.
    (output?.stream as { destroy?: () => void } | undefined)?.destroy?.();
    if (container) await removeContainer(container, request.logger);
  }
}

/** Runs an engine call with a deadline, so an engine that accepts connections but never responds cannot stall a run. */
async function withDeadline<T>(call: (abortSignal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), ENGINE_CALL_TIMEOUT_MS);
  try {
    return await call(controller.signal);
  } catch (error) {
    if (controller.signal.aborted) throw new Error(`the engine call timed out after ${ENGINE_CALL_TIMEOUT_MS / 1000} s without a response`, { cause: error });
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Attaches to the container before it starts, so no output is lost, and
 * streams stdout and stderr into the log and the stdout callback. `drained`
 * settles when the output ends.
 */
async function attachOutput(
  docker: Docker,
  container: Docker.Container,
  request: ContainerRequest,
  abortSignal: AbortSignal,
): Promise<{ drained: Promise<void>; stream: NodeJS.ReadableStream }> {
  const stream = (await container.attach({ stream: true, stdout: true, stderr: true, hijack: true, abortSignal })) as NodeJS.ReadableStream;
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  docker.modem.demuxStream(stream, stdout, stderr);
  let ended = false;
  const endOutput = () => {
    stdout.end();
    stderr.end();
  };
  stream.on('end', () => {
    ended = true;
    endOutput();
  });
  // A cut connection can close the stream without an end, or reset it with an error, while the command runs on.
  const onCut = (error?: Error) => {
    if (ended) return;
    ended = true;
    endOutput();
    const reason = error ? ` (${error.message})` : '';
    request.log?.note(`the engine connection carrying the output was cut${reason}; later output is missing from this log`).catch(() => undefined);
  };
  stream.on('close', () => onCut());
  stream.on('error', onCut);

  const pump = async (source: PassThrough, sink: ((text: string) => void | Promise<void>) | undefined) => {
    source.setEncoding('utf8');
    for await (const chunk of source) await sink?.(chunk as string);
  };
  const toLog = request.log ? (text: string) => request.log!.write(text) : undefined;
  const drained = Promise.all([pump(stdout, request.onStdout ?? toLog), pump(stderr, toLog)]).then(() => undefined);
  return { drained, stream };
}

type Ending = { reason: 'exited' | 'timeout' | 'cancelled'; exitCode: number | null };

/** How often a running container's state is read, in case the connection waiting for its exit is cut. */
const STATE_CHECK_INTERVAL_MS = 2_000;
/** Failed state reads in a row after which the engine counts as lost. */
const STATE_CHECK_ATTEMPTS = 3;

/**
 * Waits for the container to exit, killing it on timeout or cancel. The
 * engine's wait call alone is not enough: when its connection is cut after
 * the response headers, docker-modem neither resolves nor rejects it. So the
 * container's state is also read every few seconds, and the first of the two
 * to report the exit ends the wait. A failed kill is sent again on the next read.
 */
async function waitWithLimits(container: Docker.Container, request: ContainerRequest): Promise<Ending> {
  let reason: Ending['reason'] = 'exited';
  const sendKill = () => withDeadline((abortSignal) => container.kill({ abortSignal })).catch((error: Error) => request.logger.debug({ err: error }, 'kill of a container failed or came after its exit'));
  const kill = (why: Ending['reason']) => {
    if (reason !== 'exited') return;
    reason = why;
    void sendKill();
  };

  const timer = setTimeout(() => kill('timeout'), request.timeoutMs);
  timer.unref();
  const onAbort = () => kill('cancelled');
  request.signal.addEventListener('abort', onAbort, { once: true });
  if (request.signal.aborted) onAbort();
  const done = new AbortController();
  try {
    const exitCode = await Promise.race([
      waitCall(container, request.logger, done.signal),
      readStateUntilExit(container, done.signal, () => (reason === 'exited' ? undefined : sendKill())),
    ]);
    return { reason, exitCode };
  } finally {
    done.abort();
    clearTimeout(timer);
    request.signal.removeEventListener('abort', onAbort);
  }
}

/** Calls the engine's wait endpoint. A failed call never settles, because only the state reads can tell a lost engine from a lost connection. */
function waitCall(container: Docker.Container, logger: Logger, signal: AbortSignal): Promise<number | null> {
  return (container.wait({ abortSignal: signal }) as Promise<{ StatusCode?: number }>).then(
    (waited) => (typeof waited.StatusCode === 'number' ? waited.StatusCode : null),
    (error: Error) => {
      if (!signal.aborted) logger.debug({ err: error, container: container.id }, 'wait for a container failed; reading its state instead');
      return new Promise<never>(() => {});
    },
  );
}

/** Reads the container's state until it stops and returns its exit code. Throws after three failed reads in a row, or when the container is gone. */
async function readStateUntilExit(container: Docker.Container, signal: AbortSignal, whileRunning: () => unknown): Promise<number | null> {
  let failures = 0;
  for (;;) {
    await sleep(STATE_CHECK_INTERVAL_MS, undefined, { signal });
    let state: Docker.ContainerInspectInfo['State'];
    try {
      state = (await container.inspect({ abortSignal: AbortSignal.timeout(STATE_CHECK_INTERVAL_MS * 5) })).State;
      failures = 0;
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode === 404 || ++failures >= STATE_CHECK_ATTEMPTS) throw error;
      continue;
    }
    if (!state.Running && !state.Restarting) return state.ExitCode;
    whileRunning();
  }
}

/** Removal attempts before a container is left behind, because a cut connection fails one call, not the engine. */
const REMOVE_ATTEMPTS = 3;

async function removeContainer(container: Docker.Container, logger: Logger): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await withDeadline((abortSignal) => container.remove({ force: true, v: true, abortSignal }));
      return;
    } catch (error) {
      const statusCode = (error as { statusCode?: number }).statusCode;
      if (statusCode === 404) return;
      if (attempt >= REMOVE_ATTEMPTS) {
        logger.error({ err: error, container: container.id }, 'failed to remove a test container');
        return;
      }
      await sleep(STATE_CHECK_INTERVAL_MS / 2);
    }
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

function formatMinutes(minutes: number): string {
  return minutes >= 1 ? `${Number(minutes.toFixed(2))} min` : `${Number((minutes * 60).toFixed(1))} s`;
}
