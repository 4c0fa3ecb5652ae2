/**
 * Placeholders for the parts of a log line that change from night to night
 * without changing what broke. Order matters: timestamps and digests go
 * before the shorter number and hex patterns that would cut them apart.
 */
const REPLACEMENTS: [RegExp, string][] = [
  [/\b\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:[.,]\d+)?(?:Z|[+-]\d\d:?\d\d)?/g, '<time>'],
  [/\b(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d? (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d\d:\d\d:\d\d(?: [A-Z]{2,5}| [+-]\d{4})?/g, '<time>'],
  [/\b\d{4}-\d\d-\d\d\b/g, '<date>'],
  [/\b\d\d:\d\d:\d\d(?:[.,]\d+)?\b/g, '<time>'],
  [/\bsha(?:1|256|384|512):[0-9a-f]{32,}\b/gi, '<digest>'],
  [/\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi, '<uuid>'],
  [/(?:\/var)?\/tmp\/[^\s'"`:,;)\]]*/g, '<tmp>'],
  [/\b(?:\d{1,3}\.){3}\d{1,3}(?::\d{1,5})?\b/g, '<ip>'],
  [/\b[0-9a-f]{12,}\b/gi, '<hex>'],
  // Short hashes (git, container ids) mix digits and letters; plain words and numbers stay.
  [/\b(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{7,11}\b/gi, '<hex>'],
  [/\b\d+(?:\.\d+)?\s?(?:[kKMGT]i?B|B|bytes?)\b/g, '<size>'],
  [/\b\d+m\d+(?:\.\d+)?s\b/g, '<duration>'],
  [/\b\d+(?:\.\d+)?\s?(?:ms|s|sec|secs|seconds?|min|mins|minutes?|h|hours?)\b/g, '<duration>'],
  [/\b\d+(?:\.\d+)?%/g, '<percent>'],
  [/\bStep \d+\/\d+ :/g, 'Step <n>/<n> :'],
  [/^(Err|Get|Hit|Ign):\d+/g, '$1:<n>'],
  [/\bpid[ =:]\d+\b/gi, 'pid <n>'],
];

/**
 * Replaces timestamps, digests, hex ids, temporary paths, addresses, sizes
 * and durations in one log line with placeholders, and collapses spaces.
 * Versions, file names and messages stay, because they tell failures apart.
 */
export function normalizeLine(line: string): string {
  let text = line;
  for (const [pattern, placeholder] of REPLACEMENTS) text = text.replace(pattern, placeholder);
  return text.replace(/\s+/g, ' ').trim();
}

/** Normalises each line and drops the ones left empty. */
export function normalizeLines(lines: readonly string[]): string[] {
  return lines.map(normalizeLine).filter((line) => line !== '');
}
