import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { stripTerminalEscapes } from '../build/terminal-escapes.js';

/** Bytes read from the end of a log: enough for a few hundred lines of build output. */
const TAIL_BYTES = 128 * 1024;

const TIMESTAMP_PREFIX = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z /;

/**
 * Reads the last `maxLines` lines of a log file without loading the whole
 * file, and strips the UTC timestamp drydock puts at the start of each line
 * and any terminal colour codes, which logs written by older drydock
 * versions still hold.
 * Returns an empty list when the file does not exist.
 */
export function readLogTail(file: string, maxLines: number): string[] {
  let descriptor: number;
  try {
    descriptor = openSync(file, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }

  try {
    const size = fstatSync(descriptor).size;
    const length = Math.min(size, TAIL_BYTES);
    const buffer = Buffer.alloc(length);
    readSync(descriptor, buffer, 0, length, size - length);
    const lines = buffer.toString('utf8').split('\n');
    // The first line is usually cut in the middle when the file is larger than the tail.
    if (size > length) lines.shift();
    if (lines.at(-1) === '') lines.pop();
    return lines.slice(-maxLines).map((line) => stripTerminalEscapes(stripTimestamp(line)));
  } finally {
    closeSync(descriptor);
  }
}

export function stripTimestamp(line: string): string {
  return line.replace(TIMESTAMP_PREFIX, '');
}
