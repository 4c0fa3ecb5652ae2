import { matchesClassPattern } from './classify.js';

/** Error lines kept per failure; the last ones are closest to the failure. */
export const MAX_ERROR_LINES = 8;
/** Lines of output taken when no line looks like an error. */
const FALLBACK_LINES = 5;

const STEP_LINE = /^Step \d+\/\d+ : /;
/** Build bookkeeping that says nothing about the failure. */
const NOISE_LINES = [
  /^\s*---> /,
  /^Removing intermediate container /,
  /^\[drydock\] run \S+: building /,
  /^\[drydock\] finished: /,
  // The fix drydock prints under its own errors: advice that many failures share, not the failure.
  /^(?:\[drydock\])?\s+fix: /,
  /^\s*$/,
];
/** The fix that drydock appends to its own error messages, on a line of its own. */
const FIX_ADVICE = /\r?\n\s*fix: [\s\S]*$/;
/** Error lines in general, beside the class patterns. */
const ERROR_LINE_PATTERNS = [/^E: /, /^ERROR:? /i, /\berror:/i, /^fatal:/, /^[A-Z]\w*(?:Error|Exception): /, /^npm ERR!/, /^\[drydock\] /];
const URL_PATTERN = /\b(?:https?|ftp):\/\/\S+/;
const DOWNLOAD_ERROR = /\bcurl: \(\d+\)|\bERROR [45]\d\d\b|\b[45]\d\d (?:Not Found|Forbidden|Gone)\b|server returned error/;
/** Lines searched back from a download error for the URL it was fetching. */
const URL_LOOKBACK_LINES = 10;
/** Error text shorter than this, in characters, gets the lines before it as context. */
const MIN_ERROR_CHARS = 40;
const SHORT_ERROR_CONTEXT_LINES = 2;
/** Docker's summary of a failed RUN: it repeats the step's command, so it only stands in when nothing else does. */
const DAEMON_SUMMARY = /The command .* returned a non-zero code: \d+/;

export interface ExtractedLines {
  /** The lines that show the error, oldest first. */
  errorLines: string[];
  /** Every line of the failing step's output that was looked at, for classification. */
  contextLines: string[];
}

/**
 * Picks the error lines of a failure from the end of its log: only the
 * output of the failing step (after the last `Step N/M :` line, when the
 * log has steps), then the lines that match an error pattern, or else the
 * last lines of output. The recorded error message, without the fix that
 * drydock appends to its own errors, stands in when the log shows nothing.
 */
export function extractErrorLines(tail: readonly string[], errorMessage: string | null): ExtractedLines {
  const error = errorMessage === null ? null : errorMessage.replace(FIX_ADVICE, '');
  const lastStep = tail.findLastIndex((line) => STEP_LINE.test(line));
  const stepOutput = (lastStep === -1 ? tail : tail.slice(lastStep + 1)).filter((line) => !NOISE_LINES.some((noise) => noise.test(line)));
  const contextLines = error === null ? [...stepOutput] : [...stepOutput, error];

  const matching = stepOutput.flatMap((line, index) => (!DAEMON_SUMMARY.test(line) && isErrorLine(line) ? [index] : []));
  if (matching.length > 0) {
    const chosen = addContext(stepOutput, matching.slice(-MAX_ERROR_LINES));
    return { errorLines: dropRepeats(chosen.map((index) => stepOutput[index]!)), contextLines };
  }

  const fallback = stepOutput.filter((line) => !DAEMON_SUMMARY.test(line)).slice(-FALLBACK_LINES);
  if (error !== null && !fallback.some((line) => line.includes(error))) fallback.push(error);
  return { errorLines: dropRepeats(fallback), contextLines };
}

/**
 * Adds the lines that tell one failure of a kind from another: for a
 * download error without a URL, the nearest earlier line with one (wget's
 * `--<time>--  URL`, a traced `+ curl URL`), because a 404 of one file is
 * another breakage than a 404 of another; and, when the error lines are
 * very short (a bare `Killed`), the lines just before them.
 */
function addContext(lines: readonly string[], indexes: number[]): number[] {
  const chosen = new Set(indexes);
  for (const index of indexes) {
    if (!DOWNLOAD_ERROR.test(lines[index]!) || URL_PATTERN.test(lines[index]!)) continue;
    for (let earlier = index - 1; earlier >= 0 && earlier >= index - URL_LOOKBACK_LINES; earlier--) {
      if (URL_PATTERN.test(lines[earlier]!)) {
        chosen.add(earlier);
        break;
      }
    }
  }

  const length = [...chosen].reduce((total, index) => total + lines[index]!.trim().length, 0);
  if (length < MIN_ERROR_CHARS) {
    const first = Math.min(...chosen);
    for (let earlier = first - 1; earlier >= Math.max(0, first - SHORT_ERROR_CONTEXT_LINES); earlier--) chosen.add(earlier);
  }
  return [...chosen].sort((a, b) => a - b);
}

function isErrorLine(line: string): boolean {
  return matchesClassPattern(line) || ERROR_LINE_PATTERNS.some((pattern) => pattern.test(line));
}

/** Drops a line equal to the one before it, as tools that retry print the same error again. */
function dropRepeats(lines: string[]): string[] {
  return lines.filter((line, index) => index === 0 || line.trim() !== lines[index - 1]!.trim());
}
