import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import dockerignoreModule from '@balena/dockerignore';
import tar from 'tar-fs';

/** The name under which a Dockerfile from outside the context travels in the tar. */
const OUTSIDE_DOCKERFILE_NAME = '.drydock.Dockerfile';

export interface BuildContext {
  /** tar-fs returns a streamx stream; the engine client only pipes it, which streamx supports. */
  stream: NodeJS.ReadableStream;
  /** The Dockerfile's path inside the tar, for the build API's `dockerfile` parameter. */
  dockerfile: string;
}

interface IgnoreRules {
  ignores(name: string): boolean;
  /** Glob segments of each `!` pattern, to tell whether an ignored folder may hold files that are sent again. */
  negations: string[][];
}

/**
 * Packs a build context as a tar stream, leaving out what `.dockerignore`
 * excludes. The Dockerfile always travels, as with `docker build`, even when
 * it lives outside the context or is ignored. `dockerfileText` replaces the
 * file's content in the tar, leaving the file on disk untouched.
 */
export function packBuildContext(contextDir: string, dockerfilePath: string, dockerfileText?: string): BuildContext {
  const relative = path.relative(contextDir, dockerfilePath).split(path.sep).join('/');
  const inside = !relative.startsWith('../') && !path.isAbsolute(relative) && dockerfileText === undefined;
  const alwaysSent = new Set(['.dockerignore', inside ? relative : '']);
  const entries = listContextEntries(contextDir, readIgnoreRules(contextDir), alwaysSent);
  // tar-fs calls `ignore` only for the children of a folder it walks; every
  // entry is already listed, so it adds nothing of its own.
  const ignoreChildren = () => true;

  if (inside) {
    return { stream: tar.pack(contextDir, { entries, ignore: ignoreChildren }) as unknown as NodeJS.ReadableStream, dockerfile: relative };
  }

  const content = dockerfileText === undefined ? readFileSync(dockerfilePath) : Buffer.from(dockerfileText);
  const stream = tar.pack(contextDir, {
    entries,
    ignore: ignoreChildren,
    finalize: false,
    finish: (pack) => {
      pack.entry({ name: OUTSIDE_DOCKERFILE_NAME, size: content.length, mode: 0o644 }, content);
      pack.finalize();
    },
  });
  return { stream: stream as unknown as NodeJS.ReadableStream, dockerfile: OUTSIDE_DOCKERFILE_NAME };
}

/**
 * Lists the paths of the context that are sent, relative to it, each folder
 * before its contents. It reads folder listings only, never file contents,
 * and walks into an ignored folder only when a `!` pattern could send
 * something below it, so `*` then `!ci/**` sends the `ci` folder alone. An
 * ignored folder itself is not listed, because the engine creates the
 * folders of the files it receives.
 */
export function listContextEntries(contextDir: string, rules: IgnoreRules | undefined, alwaysSent = new Set<string>()): string[] {
  const entries: string[] = [];

  const walk = (folder: string) => {
    const children = readdirSync(path.join(contextDir, folder), { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1));
    for (const child of children) {
      const name = folder === '' ? child.name : `${folder}/${child.name}`;
      const ignored = rules !== undefined && !alwaysSent.has(name) && rules.ignores(name);
      if (!child.isDirectory()) {
        if (!ignored) entries.push(name);
        continue;
      }
      if (!ignored) {
        entries.push(name);
        walk(name);
      } else if (rules.negations.some((segments) => mayMatchBelow(segments, name.split('/')))) {
        walk(name);
      }
    }
  };
  walk('');
  return entries;
}

/** Tells whether a pattern's glob segments could match a path below the folder with `folderSegments`. */
function mayMatchBelow(patternSegments: string[], folderSegments: string[]): boolean {
  for (const [index, folderSegment] of folderSegments.entries()) {
    const segment = patternSegments[index];
    if (segment === undefined || segment === '**') return true;
    if (!segmentPattern(segment).test(folderSegment)) return false;
  }
  return true;
}

/** Converts one path segment of a `.dockerignore` glob (`*`, `?`, `[...]`) to a regular expression. */
function segmentPattern(segment: string): RegExp {
  let source = '';
  for (let index = 0; index < segment.length; index++) {
    const char = segment[index]!;
    if (char === '*') source += '[^/]*';
    else if (char === '?') source += '[^/]';
    else if (char === '[') {
      const end = segment.indexOf(']', index + 1);
      if (end === -1) return /^/; // A malformed class: walk into the folder rather than lose files.
      source += `[${segment.slice(index + 1, end).replace(/^!/, '^').replace(/\\/g, '\\\\')}]`;
      index = end;
    } else if (char === '\\' && index + 1 < segment.length) source += `\\${segment[++index]!}`;
    else source += char.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`^${source}$`);
}

export function readIgnoreRules(contextDir: string): IgnoreRules | undefined {
  let text: string;
  try {
    text = readFileSync(path.join(contextDir, '.dockerignore'), 'utf8');
  } catch {
    return undefined;
  }
  // The package is CommonJS; its default export arrives wrapped under ESM.
  const createIgnore = (dockerignoreModule as unknown as { default?: typeof dockerignoreModule }).default ?? dockerignoreModule;
  const matcher = (createIgnore as unknown as (options: { ignorecase: boolean }) => { add(rules: string): { ignores(name: string): boolean } })({ ignorecase: false }).add(text);

  const negations = text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line.startsWith('!'))
    .map((line) => path.posix.normalize(line.slice(1).trim()).replace(/^\/+/, '').split('/').filter((segment) => segment !== '' && segment !== '.'));
  return { ignores: (name) => matcher.ignores(name), negations };
}
