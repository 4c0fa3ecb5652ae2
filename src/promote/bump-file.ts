/** One line a tag bump changed. */
export interface LineChange {
  /** Line number, from 1. */
  line: number;
  before: string;
  after: string;
}

/** Escapes text for literal use inside a regular expression. */
function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/** Builds the bump pattern of one image: `{image}` and `{repository}` become their literal values. */
export function compileBumpPattern(pattern: string, image: string, repository: string): RegExp {
  return new RegExp(pattern.replaceAll('{image}', escapeRegExp(image)).replaceAll('{repository}', escapeRegExp(repository)), 'gm');
}

/**
 * Replaces the `tag` group of every match of `pattern` with `tag`, leaving
 * every other byte of the file as it was. Returns undefined when nothing
 * matches.
 */
export function bumpTag(text: string, pattern: RegExp, tag: string): { text: string; matches: number } | undefined {
  let matches = 0;
  const bumped = text.replace(pattern, (...args: unknown[]) => {
    const groups = args.at(-1) as Record<string, string | undefined> | undefined;
    const match = args[0] as string;
    const offset = args.at(-3) as number;
    const old = groups?.tag;
    if (old === undefined) return match;
    matches++;
    // The named group's place inside the match: search from the end, because the tag follows the repository.
    const start = findGroupStart(text, offset, match, old, pattern);
    return `${match.slice(0, start)}${tag}${match.slice(start + old.length)}`;
  });
  return matches === 0 ? undefined : { text: bumped, matches };
}

/** Finds where the `tag` group starts inside a match, using the `d` flag's indices. */
function findGroupStart(text: string, offset: number, match: string, old: string, pattern: RegExp): number {
  const withIndices = new RegExp(pattern.source, `${pattern.flags.replace('g', '')}dy`);
  withIndices.lastIndex = offset;
  const indices = withIndices.exec(text)?.indices?.groups?.tag;
  return indices ? indices[0] - offset : match.lastIndexOf(old);
}

/** Lists the lines that differ between two versions of a file with the same number of lines. */
export function changedLines(before: string, after: string): LineChange[] {
  const oldLines = before.split('\n');
  const newLines = after.split('\n');
  const changes: LineChange[] = [];
  for (let index = 0; index < Math.max(oldLines.length, newLines.length); index++) {
    if (oldLines[index] !== newLines[index]) changes.push({ line: index + 1, before: oldLines[index] ?? '', after: newLines[index] ?? '' });
  }
  return changes;
}
