import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';

/** A message of the engine's progress stream (build, pull, push). */
export type EngineMessage = Record<string, unknown>;

/** The longest unterminated message kept; the engine sends small messages, so more means a broken stream. */
const MAX_PENDING_CHARS = 8 * 1024 * 1024;

/**
 * Parses the engine's newline-separated JSON progress stream one message at
 * a time, so memory holds at most one message, however long the output.
 */
export async function* readJsonLines(stream: NodeJS.ReadableStream | Readable): AsyncGenerator<EngineMessage> {
  const decoder = new StringDecoder('utf8');
  let pending = '';
  for await (const chunk of stream) {
    pending += typeof chunk === 'string' ? chunk : decoder.write(chunk as Buffer);
    let newline = pending.indexOf('\n');
    while (newline !== -1) {
      const line = pending.slice(0, newline).trim();
      pending = pending.slice(newline + 1);
      if (line !== '') yield parseMessage(line);
      newline = pending.indexOf('\n');
    }
    if (pending.length > MAX_PENDING_CHARS) {
      throw new Error(`the engine sent a message longer than ${MAX_PENDING_CHARS} characters without a line end`);
    }
  }
  if (pending.trim() !== '') yield parseMessage(pending.trim());
}

function parseMessage(line: string): EngineMessage {
  try {
    const value: unknown = JSON.parse(line);
    return value !== null && typeof value === 'object' ? (value as EngineMessage) : { stream: `${line}\n` };
  } catch {
    return { stream: `${line}\n` };
  }
}
