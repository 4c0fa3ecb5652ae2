import { ConfigError } from '../errors.js';
import type { CatalogImage } from './catalog-image.js';
import { LOCAL_NAMESPACE, stripTag } from './image-reference.js';

/**
 * Moves base images that are images of this set into `parents`. An image
 * is known by its name, `drydock/<name>`, `<staging>/<name>` and its aliases,
 * with any tag.
 */
export function linkParents(images: CatalogImage[], staging: string | undefined): void {
  const byRepository = new Map<string, string>();
  const add = (repository: string, name: string) => {
    if (!byRepository.has(repository)) byRepository.set(repository, name);
  };
  for (const { name } of images) {
    add(name, name);
    add(`${LOCAL_NAMESPACE}/${name}`, name);
    if (staging) add(`${staging}/${name}`, name);
  }
  for (const { name, aliases } of images) {
    for (const alias of aliases) add(alias, name);
  }

  for (const image of images) {
    const parents = image.baseImages.map((reference) => byRepository.get(stripTag(reference)));
    image.parents = [...new Set(parents.filter((parent): parent is string => parent !== undefined && parent !== image.name))];
    image.parentReferences = image.baseImages
      .map((reference) => ({ reference, parent: byRepository.get(stripTag(reference)) }))
      .filter((entry): entry is { reference: string; parent: string } => entry.parent !== undefined && entry.parent !== image.name);
    image.baseImages = image.baseImages.filter((reference) => {
      const parent = byRepository.get(stripTag(reference));
      return parent === undefined || parent === image.name;
    });
  }
}

/** Orders images so that each comes after its parents; rejects a FROM cycle with its path. */
export function orderByParents(images: CatalogImage[]): CatalogImage[] {
  const byName = new Map(images.map((image) => [image.name, image]));
  const ordered: CatalogImage[] = [];
  const state = new Map<string, 'visiting' | 'done'>();

  const visit = (image: CatalogImage, chain: string[]) => {
    if (state.get(image.name) === 'done') return;
    if (state.get(image.name) === 'visiting') {
      throw new ConfigError(`images form a FROM cycle: ${[...chain, image.name].join(' -> ')}`, {
        fix: 'break the cycle in the Dockerfiles: an image cannot be built FROM itself through other images',
      });
    }
    state.set(image.name, 'visiting');
    for (const parent of image.parents) {
      const parentImage = byName.get(parent);
      if (parentImage) visit(parentImage, [...chain, image.name]);
    }
    state.set(image.name, 'done');
    ordered.push(image);
  };

  for (const image of images) visit(image, []);
  return ordered;
}
