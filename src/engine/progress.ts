import { readJsonLines, type EngineMessage } from '../build/json-lines.js';
import type { LogFile } from '../build/log-file.js';

/** The outcome of a pull or push progress stream. */
export interface ProgressResult {
  error: string | undefined;
  /** The `aux` payloads, such as `{ Tag, Digest, Size }` after a push. */
  aux: Record<string, unknown>[];
}

/**
 * Reads a pull or push progress stream to its end. Status lines go to the
 * log, except byte counters, which would flood it.
 */
export async function followProgress(stream: NodeJS.ReadableStream, log: LogFile | undefined): Promise<ProgressResult> {
  const result: ProgressResult = { error: undefined, aux: [] };
  for await (const message of readJsonLines(stream)) {
    if (message.aux !== undefined) result.aux.push(message.aux as Record<string, unknown>);
    if (message.error !== undefined) {
      result.error = errorText(message);
      await log?.write(`ERROR: ${result.error}\n`);
      continue;
    }
    const isByteCounter = typeof message.progress === 'string';
    if (typeof message.status === 'string' && !isByteCounter) {
      await log?.write(`${message.id ? `${String(message.id)}: ` : ''}${message.status}\n`);
    }
  }
  return result;
}

function errorText(message: EngineMessage): string {
  const detail = message.errorDetail as { message?: string } | undefined;
  return String(detail?.message ?? message.error);
}
