import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import type { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';

/** Bytes read per step when looking for line boundaries near an offset. */
const SCAN_CHUNK_BYTES = 64 * 1024;
/** A line without a newline for this long is sent in pieces, so a follower never buffers more. */
export const MAX_PENDING_LINE_BYTES = 256 * 1024;

/**
 * Returns the offset just after the last newline before `end`, so a snapshot that
 * stops there never cuts a line the follower then sends again. Looks back at
 * most `MAX_PENDING_LINE_BYTES`; past that, or with no newline, returns `end`.
 */
export async function findLastLineEnd(file: string, end: number): Promise<number> {
  const handle = await open(file, 'r');
  try {
    let position = end;
    while (position > 0 && end - position < MAX_PENDING_LINE_BYTES) {
      const length = Math.min(SCAN_CHUNK_BYTES, position);
      const buffer = Buffer.alloc(length);
      await handle.read(buffer, 0, length, position - length);
      const index = buffer.lastIndexOf(0x0a);
      if (index >= 0) return position - length + index + 1;
      position -= length;
    }
    return end;
  } finally {
    await handle.close();
  }
}

/**
 * Returns the offset of the first line that starts at or after `from`: the byte after
 * the first newline at or after `from - 1`, or `from` at the file's start.
 */
export async function findLineStartAfter(file: string, from: number, end: number): Promise<number> {
  if (from <= 0) return 0;
  const handle = await open(file, 'r');
  try {
    let position = from - 1;
    while (position < end) {
      const length = Math.min(SCAN_CHUNK_BYTES, end - position);
      const buffer = Buffer.alloc(length);
      await handle.read(buffer, 0, length, position);
      const index = buffer.indexOf(0x0a);
      if (index >= 0) return position + index + 1;
      position += length;
    }
    return end;
  } finally {
    await handle.close();
  }
}

/**
 * Streams bytes `[start, end)` of a file into `out` as UTF-8 text passed
 * through `transform`, one chunk at a time, waiting for `out` to drain.
 */
export async function pipeFileRange(file: string, start: number, end: number, out: Writable, transform: (text: string) => string): Promise<void> {
  if (end <= start) return;
  const input = createReadStream(file, { start, end: end - 1, encoding: 'utf8' });
  for await (const chunk of input) {
    if (!out.write(transform(chunk as string))) await waitForDrain(out);
    if (out.destroyed) {
      input.destroy();
      return;
    }
  }
}

/** Resolves when `out` can take more data again, or has closed. */
export function waitForDrain(out: Writable): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = () => {
      out.off('drain', done);
      out.off('close', done);
      resolve();
    };
    out.on('drain', done);
    out.on('close', done);
  });
}

export interface FollowOptions {
  file: string;
  /** Byte offset to start from; should be the start of a line. */
  offset: number;
  /** True while the writer may still append; checked before every poll. */
  isWriting: () => boolean;
  /** Called for every complete line, with the offset just past it. */
  onLine: (line: string, nextOffset: number) => void | Promise<void>;
  signal: AbortSignal;
  pollIntervalMs?: number;
}

const DEFAULT_POLL_INTERVAL_MS = 250;

/**
 * Follows a log file as it grows, like `tail -f` from a byte offset. It
 * reads only the bytes appended since the last poll, in stream chunks, and
 * keeps at most one unfinished line in memory. It stops when `isWriting`
 * turns false (after sending the rest, an unfinished last line included),
 * when the file shrinks, or when `signal` aborts. Returns the final offset.
 */
export async function followLogFile(options: FollowOptions): Promise<number> {
  const interval = options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS;
  let offset = options.offset;
  let pending: Buffer = Buffer.alloc(0);

  while (!options.signal.aborted) {
    // Read the flag before the size, so lines written just before the writer stopped are still read.
    const writing = options.isWriting();
    const size = await stat(options.file).then((stats) => stats.size, () => -1);
    if (size < offset + pending.length) return offset;

    if (size > offset + pending.length) {
      const input = createReadStream(options.file, { start: offset + pending.length, end: size - 1 });
      for await (const chunk of input) {
        pending = pending.length === 0 ? (chunk as Buffer) : Buffer.concat([pending, chunk as Buffer]);
        let newline: number;
        while ((newline = pending.indexOf(0x0a)) >= 0) {
          offset += newline + 1;
          await options.onLine(pending.subarray(0, newline).toString('utf8'), offset);
          pending = pending.subarray(newline + 1);
        }
        if (pending.length > MAX_PENDING_LINE_BYTES) {
          offset += pending.length;
          await options.onLine(pending.toString('utf8'), offset);
          pending = Buffer.alloc(0);
        }
        if (options.signal.aborted) {
          input.destroy();
          return offset;
        }
      }
    }

    if (!writing) {
      if (pending.length > 0) {
        offset += pending.length;
        await options.onLine(pending.toString('utf8'), offset);
      }
      return offset;
    }
    await sleep(interval, undefined, { signal: options.signal }).catch(() => undefined);
  }
  return offset;
}
