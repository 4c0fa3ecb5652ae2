import path from 'node:path';
import type { ImageListEntry } from '../../config/schema.js';
import type { ImageCandidate } from '../catalog-image.js';

/** Turns each `images.list` entry into an image; paths are relative to the repository root, the context defaulting to the Dockerfile's folder. */
export function readListImages(entries: ImageListEntry[], root: string): ImageCandidate[] {
  return entries.map((entry, index) => {
    const dockerfile = path.resolve(root, entry.dockerfile);
    return {
      name: entry.name,
      origin: { kind: 'list', file: `images.list[${index}]`, index },
      dockerfile,
      context: entry.context === undefined ? path.dirname(dockerfile) : path.resolve(root, entry.context),
      buildArgs: entry.buildArgs ?? {},
      target: entry.target,
      platform: entry.platform,
      aliases: [],
      composeTest: undefined,
    };
  });
}
