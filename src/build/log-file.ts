import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import path from 'node:path';
import { once } from 'node:events';
import { redactSecrets } from '../secrets.js';
import { stripTerminalEscapes } from './terminal-escapes.js';

const TAIL_LINES = 50;
/** A line longer than this is cut into pieces, so output without newlines cannot fill memory. */
const MAX_LINE_CHARS = 64 * 1024;

/**
 * A log file that prefixes every line with a UTC timestamp and keeps only
 * the last lines in memory. Writes wait for the disk, so a fast producer
 * slows down instead of growing a buffer.
 */
export class LogFile {
  readonly path: string;
  private readonly out: WriteStream;
  private readonly tailLines: string[] = [];
  private partial = '';
  private readonly secrets: string[];
  private readonly onLine: ((line: string) => void) | undefined;

  constructor(file: string, options: { secrets?: string[]; onLine?: (line: string) => void } = {}) {
    mkdirSync(path.dirname(file), { recursive: true });
    this.path = file;
    this.out = createWriteStream(file, { flags: 'a' });
    this.secrets = options.secrets ?? [];
    this.onLine = options.onLine;
  }

  /** Appends output text; an unfinished last line waits for the rest of it. */
  async write(text: string): Promise<void> {
    const pieces = (this.partial + text).split('\n');
    this.partial = pieces.pop() ?? '';
    while (this.partial.length > MAX_LINE_CHARS) {
      pieces.push(this.partial.slice(0, MAX_LINE_CHARS));
      this.partial = this.partial.slice(MAX_LINE_CHARS);
    }
    for (const piece of pieces) await this.writeLine(piece.replace(/\r$/, ''));
  }

  /** Appends a line of drydock's own, marked so readers tell it from build output. */
  async note(message: string): Promise<void> {
    await this.flushPartial();
    // A message of several lines, such as an error and its fix, gets a timestamp and the mark on each.
    for (const line of message.split(/\r?\n/)) await this.writeLine(`[drydock] ${line}`);
  }

  /** Redacts `text` as the log's lines are, for messages taken from the same output. */
  redact(text: string): string {
    return redactSecrets(text, this.secrets);
  }

  /** The last lines written, redacted, oldest first. */
  tail(count = TAIL_LINES): string[] {
    return this.tailLines.slice(-count);
  }

  async close(): Promise<void> {
    await this.flushPartial();
    this.out.end();
    await once(this.out, 'finish');
  }

  private async flushPartial(): Promise<void> {
    if (this.partial === '') return;
    const rest = this.partial;
    this.partial = '';
    await this.writeLine(rest);
  }

  private async writeLine(rawLine: string): Promise<void> {
    const line = redactSecrets(stripTerminalEscapes(rawLine), this.secrets);
    this.tailLines.push(line);
    if (this.tailLines.length > TAIL_LINES) this.tailLines.shift();
    this.onLine?.(line);

    if (!this.out.write(`${new Date().toISOString()} ${line}\n`)) await once(this.out, 'drain');
  }
}
