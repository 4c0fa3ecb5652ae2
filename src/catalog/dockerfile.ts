/** What drydock needs to know about a Dockerfile to order and label builds. */
export interface DockerfileSummary {
  /** Each stage's base as written after variable substitution, with its `AS` name. */
  stages: { base: string; name: string | undefined }[];
  /** Images from outside the Dockerfile: FROM bases and `COPY --from` sources that are not stages. */
  externalImages: string[];
}

interface Instruction {
  keyword: string;
  args: string;
}

/**
 * Reads the FROM and `COPY --from` references of a Dockerfile, substituting
 * ARG values declared before the first FROM. `buildArgs` win over ARG
 * defaults, as with `docker build --build-arg`.
 */
export function summarizeDockerfile(text: string, buildArgs: Record<string, string> = {}): DockerfileSummary {
  const globalArgs: Record<string, string> = {};
  const stages: DockerfileSummary['stages'] = [];
  const external = new Set<string>();
  const stageNames = new Set<string>();

  for (const { keyword, args } of readInstructions(text)) {
    if (keyword === 'ARG' && stages.length === 0) {
      for (const [name, value] of parseArgInstruction(args)) {
        // A default may use the ARGs declared before it, as in `ARG BASE=${REPO}:${TAG}`.
        globalArgs[name] = buildArgs[name] ?? (value === undefined ? undefined : substitute(value, globalArgs)) ?? globalArgs[name] ?? '';
      }
      continue;
    }

    if (keyword === 'FROM') {
      const words = args.split(/\s+/).filter((word) => !word.startsWith('--'));
      const base = substitute(words[0] ?? '', globalArgs);
      const name = words[1]?.toUpperCase() === 'AS' ? words[2]?.toLowerCase() : undefined;
      stages.push({ base, name });
      if (!stageNames.has(base.toLowerCase()) && base !== 'scratch' && base !== '') external.add(base);
      if (name) stageNames.add(name);
      continue;
    }

    if (keyword === 'COPY') {
      const source = /(?:^|\s)--from=(\S+)/.exec(args)?.[1];
      if (source === undefined) continue;
      const reference = substitute(source, globalArgs);
      const isStage = stageNames.has(reference.toLowerCase()) || /^\d+$/.test(reference);
      if (!isStage) external.add(reference);
    }
  }

  return { stages, externalImages: [...external] };
}

/** Splits a Dockerfile into instructions, joining continued lines and dropping comments. */
function readInstructions(text: string): Instruction[] {
  const lines = text.split(/\r?\n/);
  const escape = readEscapeDirective(lines);
  const instructions: Instruction[] = [];
  let pending = '';

  for (const rawLine of lines) {
    const line = rawLine.trimEnd();
    if (/^\s*#/.test(line)) continue;
    // Docker joins a continued instruction across blank lines (with a deprecation warning).
    if (line.trim() === '' && pending !== '') continue;

    if (line.endsWith(escape)) {
      pending += `${line.slice(0, -1)} `;
      continue;
    }
    const full = (pending + line).trim();
    pending = '';
    if (full === '') continue;

    const match = /^(\S+)\s*(.*)$/s.exec(full);
    if (match) instructions.push({ keyword: match[1]!.toUpperCase(), args: match[2]!.trim() });
  }
  return instructions;
}

/**
 * Returns the escape character set by an `# escape=` parser directive, or
 * a backslash. Directives are only read in the leading `# key=value` lines,
 * so the first blank line, other comment or instruction ends them.
 */
function readEscapeDirective(lines: string[]): string {
  for (const line of lines) {
    const directive = /^#\s*([A-Za-z][A-Za-z0-9_-]*)\s*=\s*(\S+)\s*$/.exec(line);
    if (!directive) return '\\';
    if (directive[1]!.toLowerCase() === 'escape') return directive[2] === '`' ? '`' : '\\';
  }
  return '\\';
}

function parseArgInstruction(args: string): [string, string | undefined][] {
  return args
    .split(/\s+/)
    .filter(Boolean)
    .map((word) => {
      const equals = word.indexOf('=');
      if (equals === -1) return [word, undefined];
      return [word.slice(0, equals), unquote(word.slice(equals + 1))];
    });
}

function unquote(value: string): string {
  return /^(["']).*\1$/.test(value) ? value.slice(1, -1) : value;
}

/** Expands `$VAR`, `${VAR}`, `${VAR:-default}` and `${VAR:+alternative}` as Docker does. */
export function substitute(value: string, variables: Record<string, string>): string {
  return value.replace(/\$(?:\{([A-Za-z_][A-Za-z0-9_]*)(?::([-+])([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*))/g, (_, braced, operator, word, bare) => {
    const name = (braced ?? bare) as string;
    const current = variables[name];
    if (operator === '-') return current ? current : (word as string);
    if (operator === '+') return current ? (word as string) : '';
    return current ?? '';
  });
}
