import { createHash } from 'node:crypto';
import { stripTerminalEscapes } from '../build/terminal-escapes.js';
import { classifyFailure } from './classify.js';
import { isNearDuplicate } from './edit-distance.js';
import { extractErrorLines } from './error-lines.js';
import { readLogTail } from './log-tail.js';
import { normalizeLines } from './normalize.js';
import type { FailureClass, FailureReport, FailureSignature } from './types.js';

/** Lines read from the end of a log to find the failure. */
export const LOG_TAIL_LINES = 200;
/** Normalised text longer than this is cut, so fingerprints of huge errors stay cheap to compare. */
const MAX_NORMALIZED_CHARS = 4000;
/** Hex digits of the sha256 kept in a fingerprint id: 48 bits, ample for one project's failures. */
const ID_HEX_DIGITS = 12;

/** A fingerprint already on record, as near-duplicate grouping needs it. */
export interface KnownFingerprint {
  id: string;
  failureClass: FailureClass;
  normalized: string;
}

/** Reads the failure's log and reduces it to its class, error lines and exact id. */
export function signFailure(report: FailureReport): FailureSignature {
  const tail = report.logPath === null ? [] : readLogTail(report.logPath, LOG_TAIL_LINES);
  return signFailureLines(tail, report);
}

/** Like `signFailure`, for log lines already read (without their timestamps). */
export function signFailureLines(tail: readonly string[], report: Pick<FailureReport, 'error' | 'cause' | 'failedStep'>): FailureSignature {
  const { errorLines, contextLines } = extractErrorLines(tail, report.error);
  const failureClass = classifyFailure(contextLines, report.cause);
  const shown = errorLines.length > 0 ? errorLines : [report.failedStep ?? 'no log and no error message'];
  const normalized = normalizeLines(shown).join('\n').slice(0, MAX_NORMALIZED_CHARS);
  return { failureClass, errorLines: shown, normalized, exactId: fingerprintId(failureClass, normalized) };
}

/** The stable id of one class and normalised text: the start of their sha256, in hex. */
export function fingerprintId(failureClass: FailureClass, normalized: string): string {
  return createHash('sha256').update(`${failureClass}\n${normalized}`).digest('hex').slice(0, ID_HEX_DIGITS);
}

/**
 * Returns the id this failure is grouped under: the id of a known fingerprint
 * of the same class whose text is the same or nearly the same (see
 * `isNearDuplicate`), or else the failure's own exact id. Among several near
 * matches the closest in length wins, so the grouping does not depend on the
 * order of `known`.
 */
export function groupFingerprint(signature: FailureSignature, known: readonly KnownFingerprint[]): string {
  const exact = known.find((entry) => entry.id === signature.exactId);
  if (exact) return exact.id;

  const candidates = known
    .map((entry) => ({ id: entry.id, failureClass: entry.failureClass, normalized: storedText(entry) }))
    .filter((entry) => entry.failureClass === signature.failureClass && isNearDuplicate(entry.normalized, signature.normalized))
    .sort((a, b) => Math.abs(a.normalized.length - signature.normalized.length) - Math.abs(b.normalized.length - signature.normalized.length) || a.id.localeCompare(b.id));
  return candidates[0]?.id ?? signature.exactId;
}

/** Strips from a known fingerprint's stored text the terminal colour codes that logs held before drydock removed them. */
function storedText(entry: KnownFingerprint): string {
  return stripTerminalEscapes(entry.normalized);
}
