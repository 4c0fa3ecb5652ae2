/** One variable of a `.env` file, in file order. */
export interface DotEnvEntry {
  name: string;
  value: string;
  /** False for single-quoted values, which Compose takes literally. */
  interpolate: boolean;
}

/** A line of a `.env` file that is not `NAME=value`, a comment or blank. */
export class DotEnvError extends Error {}

/**
 * Parses a `.env` file as Compose reads the one beside a Compose file.
 * Lines are `NAME=value`, with an optional `export ` prefix, and `#` starts
 * a comment line or, after an unquoted value and a space, a trailing
 * comment. Single quotes keep a value literal. Double quotes allow the
 * `\n`, `\t`, `\"` and `\\` escapes. Entries keep their file order, because
 * a value may use the variables of earlier lines.
 */
export function parseDotEnv(text: string): DotEnvEntry[] {
  const entries: DotEnvEntry[] = [];
  for (const [index, rawLine] of text.split(/\r?\n/).entries()) {
    const line = rawLine.trim();
    if (line === '' || line.startsWith('#')) continue;

    const match = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*=\s*(.*)$/.exec(line);
    if (!match) throw new DotEnvError(`line ${index + 1} is not NAME=value: ${JSON.stringify(rawLine)}`);
    const [, name, rest] = match as unknown as [string, string, string];

    if (rest.startsWith("'")) {
      const end = rest.indexOf("'", 1);
      if (end === -1) throw new DotEnvError(`line ${index + 1} has no closing single quote`);
      entries.push({ name, value: rest.slice(1, end), interpolate: false });
    } else if (rest.startsWith('"')) {
      const end = findClosingDoubleQuote(rest);
      if (end === -1) throw new DotEnvError(`line ${index + 1} has no closing double quote`);
      entries.push({ name, value: unescapeDoubleQuoted(rest.slice(1, end)), interpolate: true });
    } else {
      entries.push({ name, value: rest.replace(/\s+#.*$/, '').trim(), interpolate: true });
    }
  }
  return entries;
}

function findClosingDoubleQuote(text: string): number {
  for (let index = 1; index < text.length; index++) {
    if (text[index] === '\\') index++;
    else if (text[index] === '"') return index;
  }
  return -1;
}

function unescapeDoubleQuoted(text: string): string {
  const escapes: Record<string, string> = { n: '\n', t: '\t', r: '\r', '"': '"', '\\': '\\' };
  return text.replace(/\\(.)/g, (whole, char: string) => escapes[char] ?? whole);
}
