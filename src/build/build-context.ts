import { readFileSync } from 'node:fs';
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

/**
 * Packs a build context as a tar stream, leaving out what `.dockerignore`
 * excludes. The Dockerfile always travels, as with `docker build`, even when
 * it lives outside the context or is ignored. `dockerfileText` replaces the
 * file's content in the tar, leaving the file on disk untouched.
 */
export function packBuildContext(contextDir: string, dockerfilePath: string, dockerfileText?: string): BuildContext {
  const relative = path.relative(contextDir, dockerfilePath).split(path.sep).join('/');
  const inside = !relative.startsWith('../') && !path.isAbsolute(relative) && dockerfileText === undefined;
  const ignored = readIgnoreRules(contextDir);
  const alwaysSent = new Set(['.dockerignore', inside ? relative : '']);

  const ignore = (file: string) => {
    const name = path.relative(contextDir, file).split(path.sep).join('/');
    if (name === '' || alwaysSent.has(name)) return false;
    return ignored !== undefined && ignored.ignores(name);
  };

  if (inside) {
    return { stream: tar.pack(contextDir, { ignore }) as unknown as NodeJS.ReadableStream, dockerfile: relative };
  }

  const content = dockerfileText === undefined ? readFileSync(dockerfilePath) : Buffer.from(dockerfileText);
  const stream = tar.pack(contextDir, {
    ignore,
    finalize: false,
    finish: (pack) => {
      pack.entry({ name: OUTSIDE_DOCKERFILE_NAME, size: content.length, mode: 0o644 }, content);
      pack.finalize();
    },
  });
  return { stream: stream as unknown as NodeJS.ReadableStream, dockerfile: OUTSIDE_DOCKERFILE_NAME };
}

function readIgnoreRules(contextDir: string) {
  let text: string;
  try {
    text = readFileSync(path.join(contextDir, '.dockerignore'), 'utf8');
  } catch {
    return undefined;
  }
  // The package is CommonJS; its default export arrives wrapped under ESM.
  const createIgnore = (dockerignoreModule as unknown as { default?: typeof dockerignoreModule }).default ?? dockerignoreModule;
  return (createIgnore as unknown as (options: { ignorecase: boolean }) => { add(rules: string): { ignores(name: string): boolean } })({ ignorecase: false }).add(text);
}
