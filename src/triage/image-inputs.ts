import path from 'node:path';
import dockerignoreModule from '@balena/dockerignore';
import { substitute } from '../catalog/dockerfile.js';

/** Where an image's own files live in the repository, as paths relative to its root with `/`. */
export interface ImageLocation {
  /** The Dockerfile, such as `docker/Dockerfile.ci_cpu`. */
  dockerfile: string;
  /** The build context folder, such as `docker`; `.` for the root. */
  context: string;
  buildArgs: Record<string, string>;
}

/** The files of the repository that go into an image. */
export interface ImageInputs {
  dockerfile: string;
  /** COPY and ADD sources, relative to the repository root; may hold glob characters. */
  sources: string[];
  /** True when a source is the whole context (`COPY . /src`). */
  wholeContext: boolean;
}

/**
 * Reads which repository files an image is built from: its Dockerfile and
 * the sources of its COPY and ADD instructions. `COPY --from` sources come
 * from other images, URLs from the network and heredocs from the Dockerfile
 * itself, so none of them are files of the context.
 */
export function readImageInputs(dockerfileText: string, location: ImageLocation): ImageInputs {
  const variables = { ...readArgDefaults(dockerfileText), ...location.buildArgs };
  const sources = new Set<string>();
  let wholeContext = false;

  for (const { keyword, args } of readInstructions(dockerfileText)) {
    if (keyword !== 'COPY' && keyword !== 'ADD') continue;

    const words = splitArguments(args);
    if (words.some((word) => word.startsWith('--from='))) continue;
    const operands = words.filter((word) => !word.startsWith('--'));
    for (const operand of operands.slice(0, -1)) {
      if (/^[a-z][a-z0-9+.-]*:\/\//i.test(operand) || operand.startsWith('<<') || operand.startsWith('git@')) continue;
      const source = path.posix.normalize(substitute(operand, variables).replace(/^\/+/, ''));
      if (source === '.' || source === '' || source === '*') wholeContext = true;
      sources.add(path.posix.join(location.context, source));
    }
  }

  return { dockerfile: location.dockerfile, sources: [...sources], wholeContext };
}

/**
 * Lists the changed files that are inputs of the image: its Dockerfile, and
 * files a COPY or ADD source names directly, through a folder or a glob,
 * unless the context's `.dockerignore` leaves them out.
 */
export function findChangedInputs(
  changedFiles: readonly string[],
  inputs: ImageInputs,
  location: Pick<ImageLocation, 'context'>,
  dockerignoreText: string | undefined,
): string[] {
  const ignore = dockerignoreText === undefined ? undefined : createIgnore().add(dockerignoreText);
  const contextPrefix = location.context === '.' ? '' : `${location.context.replace(/\/+$/, '')}/`;
  const matchers = inputs.sources.map(sourceMatcher);

  return changedFiles.filter((file) => {
    if (file === inputs.dockerfile) return true;
    if (!file.startsWith(contextPrefix)) return false;
    const insideContext = file.slice(contextPrefix.length);
    if (ignore?.ignores(insideContext)) return false;
    return inputs.wholeContext || matchers.some((matches) => matches(file));
  });
}

/** A test for one source: the file itself, anything under it as a folder, or a glob match of it or a parent folder. */
function sourceMatcher(source: string): (file: string) => boolean {
  if (!/[*?[]/.test(source)) return (file) => file === source || file.startsWith(`${source}/`);

  const pattern = globToRegExp(source);
  return (file) => {
    const parts = file.split('/');
    return parts.some((_, index) => pattern.test(parts.slice(0, index + 1).join('/')));
  };
}

/** Converts a Go `filepath.Match` pattern, the syntax Docker uses for COPY sources, to a RegExp. */
function globToRegExp(glob: string): RegExp {
  let expression = '';
  for (let index = 0; index < glob.length; index++) {
    const character = glob[index]!;
    if (character === '*') expression += '[^/]*';
    else if (character === '?') expression += '[^/]';
    else if (character === '[') {
      const end = glob.indexOf(']', index + 1);
      if (end === -1) {
        expression += '\\[';
        continue;
      }
      expression += `[${glob.slice(index + 1, end).replace(/^!/, '^').replace(/\\/g, '\\\\')}]`;
      index = end;
    } else expression += character.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`^${expression}$`);
}

interface Instruction {
  keyword: string;
  args: string;
}

/** Splits a Dockerfile into instructions, joining continued lines and dropping comments. */
function readInstructions(text: string): Instruction[] {
  const escape = /^#\s*escape\s*=\s*`\s*$/m.test(text.split(/\r?\n/, 1)[0] ?? '') ? '`' : '\\';
  const instructions: Instruction[] = [];
  let pending = '';

  for (const rawLine of text.split(/\r?\n/)) {
    const line = rawLine.trimEnd();
    if (/^\s*#/.test(line)) continue;
    if (line.endsWith(escape)) {
      pending += `${line.slice(0, -1)} `;
      continue;
    }
    const full = (pending + line).trim();
    pending = '';
    const match = /^(\S+)\s*(.*)$/s.exec(full);
    if (match) instructions.push({ keyword: match[1]!.toUpperCase(), args: match[2]!.trim() });
  }
  return instructions;
}

/** Reads the words of a COPY or ADD: the JSON form `["a", "b", "/dest"]` or space-separated words. */
function splitArguments(args: string): string[] {
  const flags: string[] = [];
  let rest = args;
  for (let flag = /^(--\S+)\s+/.exec(rest); flag; flag = /^(--\S+)\s+/.exec(rest)) {
    flags.push(flag[1]!);
    rest = rest.slice(flag[0].length);
  }

  if (rest.startsWith('[')) {
    try {
      const parsed: unknown = JSON.parse(rest);
      if (Array.isArray(parsed) && parsed.every((item) => typeof item === 'string')) return [...flags, ...parsed];
    } catch {
      // Docker treats a JSON form that does not parse as the shell form.
    }
  }
  return [...flags, ...rest.split(/\s+/).filter(Boolean)];
}

/** ARG defaults from the whole Dockerfile; a later default of the same name wins. */
function readArgDefaults(text: string): Record<string, string> {
  const defaults: Record<string, string> = {};
  for (const { keyword, args } of readInstructions(text)) {
    if (keyword !== 'ARG') continue;
    for (const word of args.split(/\s+/)) {
      const equals = word.indexOf('=');
      if (equals > 0) defaults[word.slice(0, equals)] = word.slice(equals + 1).replace(/^(["'])(.*)\1$/, '$2');
    }
  }
  return defaults;
}

function createIgnore(): { add(rules: string): { ignores(name: string): boolean } } {
  // The package is CommonJS; its default export arrives wrapped under ESM.
  const factory = (dockerignoreModule as unknown as { default?: typeof dockerignoreModule }).default ?? dockerignoreModule;
  return (factory as unknown as (options: { ignorecase: boolean }) => { add(rules: string): { ignores(name: string): boolean } })({ ignorecase: false });
}
