import { readFileSync } from 'node:fs';
import path from 'node:path';
import fg from 'fast-glob';
import type { Settings } from '../config/load-config.js';
import { ConfigError } from '../errors.js';
import { summarizeDockerfile } from './dockerfile.js';
import { IMAGE_NAME_PATTERN, LOCAL_NAMESPACE, stripTag } from './image-reference.js';

/** One image of the catalog, ready to build. */
export interface CatalogImage {
  name: string;
  /** Absolute path of the Dockerfile. */
  dockerfile: string;
  /** Absolute path of the build context. */
  context: string;
  buildArgs: Record<string, string>;
  target: string | undefined;
  platform: string | undefined;
  /** Engine labels the image needs, such as `gpu`. */
  labels: string[];
  timeoutMinutes: number;
  /** Images from outside the set that the Dockerfile builds on. */
  baseImages: string[];
  /** Names of the images of this run that this one is built FROM. */
  parents: string[];
  /** The references the Dockerfile uses for images of the set, such as `ci_base:latest`, including parents left out by `--images`. */
  parentReferences: { reference: string; parent: string }[];
}

/**
 * Finds the images in a checkout: one per file matching `images.discover`,
 * named after the part of the file name that follows `Dockerfile.`, with
 * `images.overrides` applied. The result is in build order, parents first.
 */
export function discoverImages(settings: Settings, sourceDir: string, selected?: string[]): CatalogImage[] {
  const { discover, exclude, overrides } = settings.images;
  const root = path.resolve(sourceDir);
  const files = fg.sync(discover, { cwd: root, onlyFiles: true, dot: true }).sort();
  const excludePatterns = exclude.map(globToRegExp);

  const images = new Map<string, CatalogImage>();
  const excluded = new Set<string>();
  for (const file of files) {
    const name = imageNameOf(file);
    // A pattern matches the image name (demo_*) or the Dockerfile path (docker/Dockerfile.demo_*).
    if (excludePatterns.some((pattern) => pattern.test(name) || pattern.test(file))) {
      excluded.add(name);
      continue;
    }
    if (!IMAGE_NAME_PATTERN.test(name)) {
      throw new ConfigError(
        `image name ${JSON.stringify(name)} from ${file} is not a valid repository name: it must be lower-case letters and digits, separated by ".", "_", "__" or "-"`,
        { fix: `rename the file, or add the name to images.exclude` },
      );
    }
    images.set(name, describeImage(name, file, root, settings));
  }

  for (const name of Object.keys(overrides)) {
    if (excluded.has(name)) {
      throw new ConfigError(`images.overrides.${name} names an image excluded by images.exclude`, {
        fix: `remove images.overrides.${name}, or remove the pattern that matches it from images.exclude`,
      });
    }
    if (!images.has(name)) {
      throw new ConfigError(`images.overrides.${name} names an image that was not discovered`, {
        fix: `use one of: ${[...images.keys()].join(', ') || '(none found)'}, or check images.discover = ${JSON.stringify(discover)}`,
      });
    }
  }

  linkParents([...images.values()], settings.registry.staging);
  const chosen = selectImages(images, selected, discover);
  const chosenNames = new Set(chosen.map((image) => image.name));
  for (const image of chosen) {
    // NOTE: a parent left out by --images is not built in this run, so the
    // engine builds the child from whatever image its FROM reference names
    // locally, such as the copy tagged by an earlier run.
    image.parents = image.parents.filter((parent) => chosenNames.has(parent));
  }
  return orderByParents(chosen);
}

function imageNameOf(file: string): string {
  const base = path.basename(file);
  const marker = 'Dockerfile.';
  return base.startsWith(marker) ? base.slice(marker.length) : base.replace(/\.dockerfile$/i, '');
}

function describeImage(name: string, file: string, sourceDir: string, settings: Settings): CatalogImage {
  const override = settings.images.overrides[name] ?? {};
  const dockerfile = path.resolve(sourceDir, override.dockerfile ?? file);
  const context = path.resolve(sourceDir, override.context ?? path.dirname(file));
  for (const [key, value] of [['dockerfile', dockerfile], ['context', context]] as const) {
    if (!value.startsWith(sourceDir + path.sep) && value !== sourceDir) {
      throw new ConfigError(`images.overrides.${name}.${key} points outside the repository: ${value}`, {
        fix: 'give a path relative to the repository root, inside it',
      });
    }
  }

  const buildArgs = override.buildArgs ?? {};
  let text: string;
  try {
    text = readFileSync(dockerfile, 'utf8');
  } catch {
    throw new ConfigError(`Dockerfile of image ${name} not found: ${dockerfile}`, {
      fix: `correct images.overrides.${name}.dockerfile`,
    });
  }

  return {
    name,
    dockerfile,
    context,
    buildArgs,
    target: override.target,
    platform: override.platform,
    labels: override.labels ?? [],
    timeoutMinutes: override.timeoutMinutes ?? settings.build.timeoutMinutes,
    baseImages: summarizeDockerfile(text, buildArgs).externalImages,
    parents: [],
    parentReferences: [],
  };
}

function selectImages(images: Map<string, CatalogImage>, selected: string[] | undefined, discover: string): CatalogImage[] {
  if (selected === undefined || selected.length === 0) return [...images.values()];

  const unknown = selected.filter((name) => !images.has(name));
  if (unknown.length > 0) {
    throw new ConfigError(`unknown image ${unknown.map((name) => JSON.stringify(name)).join(', ')} in --images`, {
      fix: `choose from: ${[...images.keys()].join(', ') || `(none found by images.discover = ${JSON.stringify(discover)})`}`,
    });
  }
  return [...new Set(selected)].map((name) => images.get(name)!);
}

/** Moves base images that are images of this set into `parents`. */
function linkParents(images: CatalogImage[], staging: string | undefined): void {
  const byRepository = new Map<string, string>();
  for (const { name } of images) {
    byRepository.set(name, name);
    byRepository.set(`${LOCAL_NAMESPACE}/${name}`, name);
    if (staging) byRepository.set(`${staging}/${name}`, name);
  }

  for (const image of images) {
    const parents = image.baseImages.map((reference) => byRepository.get(stripTag(reference)));
    image.parents = [...new Set(parents.filter((parent): parent is string => parent !== undefined && parent !== image.name))];
    image.parentReferences = image.baseImages
      .map((reference) => ({ reference, parent: byRepository.get(stripTag(reference)) }))
      .filter((entry): entry is { reference: string; parent: string } => entry.parent !== undefined);
    image.baseImages = image.baseImages.filter((reference) => !byRepository.has(stripTag(reference)));
  }
}

function orderByParents(images: CatalogImage[]): CatalogImage[] {
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

function globToRegExp(pattern: string): RegExp {
  const escaped = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${escaped}$`);
}
