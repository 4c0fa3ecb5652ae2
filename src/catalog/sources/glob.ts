import path from 'node:path';
import fg from 'fast-glob';
import type { ImageCandidate } from '../catalog-image.js';
import { imageNameFromFile } from '../image-name.js';

/**
 * Finds one image per file matching the `images.discover` globs, named
 * after its file (see `imageNameFromFile`), with the Dockerfile's folder as
 * its context.
 */
export function discoverGlobImages(globs: string[], root: string): ImageCandidate[] {
  const files = [...new Set(fg.sync(globs, { cwd: root, onlyFiles: true, dot: true }))].sort();
  return files.map((file) => ({
    name: imageNameFromFile(file),
    origin: { kind: 'glob', file },
    dockerfile: path.resolve(root, file),
    context: path.resolve(root, path.dirname(file)),
    buildArgs: {},
    target: undefined,
    platform: undefined,
    aliases: [],
    composeTest: undefined,
  }));
}
