import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Settings } from '../config/load-config.js';
import { DEFAULT_DISCOVER_GLOB } from '../config/schema.js';
import { ConfigError } from '../errors.js';
import type { Catalog, CatalogImage, ImageCandidate, ImageOrigin, SkippedService } from './catalog-image.js';
import { summarizeDockerfile } from './dockerfile.js';
import { findNameProblem } from './image-name.js';
import { linkParents, orderByParents } from './link-parents.js';
import { readComposeImages } from './sources/compose.js';
import { discoverGlobImages } from './sources/glob.js';
import { readListImages } from './sources/list.js';

export type { Catalog, CatalogImage, ComposeTest, ImageOrigin, SkippedService } from './catalog-image.js';

export interface DiscoverOptions {
  /** Image names to keep; all images when empty or unset. */
  selected?: string[];
  /** Variables for Compose interpolation; the `.env` beside the Compose file fills in what this lacks. */
  environment?: Record<string, string | undefined>;
}

/**
 * Resolves the image catalog of a checkout from every source `images:`
 * names: the `discover` globs, the `compose` file and the `list`. Names go
 * through `images.rename` and must be valid repository names. Then
 * `images.exclude` and `images.overrides` apply, and FROM references are
 * resolved with each image's build arguments. Images come in build order,
 * parents first.
 */
export function discoverCatalog(settings: Settings, sourceDir: string, options: DiscoverOptions = {}): Catalog {
  const { images: config } = settings;
  const root = path.resolve(sourceDir);
  if (settings.validate.fromCompose && config.compose === undefined) {
    throw new ConfigError('validate.fromCompose is true, but images.compose names no Compose file to take the test commands from', {
      fix: 'set images.compose, or remove validate.fromCompose',
    });
  }

  const excludePatterns = config.exclude.map(globToRegExp);
  const isExcluded = (...values: string[]) => excludePatterns.some((pattern) => values.some((value) => pattern.test(value)));
  const renamedName = (name: string) => config.rename[name] ?? name;

  const candidates: ImageCandidate[] = [];
  let skipped: SkippedService[] = [];
  let unsetVariables: string[] = [];
  const globs = discoverGlobs(settings);
  if (globs.length > 0) candidates.push(...discoverGlobImages(globs, root));
  if (config.compose !== undefined) {
    const compose = readComposeImages(settings, root, options.environment ?? process.env, (service, name) => isExcluded(service, name, renamedName(name)));
    candidates.push(...compose.candidates);
    skipped = compose.skipped;
    unsetVariables = compose.unsetVariables;
  }
  if (config.list !== undefined) candidates.push(...readListImages(config.list, root));

  const discoveredNames = new Set(candidates.map((candidate) => candidate.name));
  for (const from of Object.keys(config.rename)) {
    if (!discoveredNames.has(from)) {
      throw new ConfigError(`images.rename.${from} names an image that was not discovered`, {
        fix: `use one of: ${[...discoveredNames].join(', ') || '(none found)'}`,
      });
    }
  }

  const images = new Map<string, CatalogImage>();
  const excluded = new Set<string>();
  for (const candidate of candidates) {
    const name = renamedName(candidate.name);
    if (isExcluded(candidate.name, name, candidate.origin.file)) {
      excluded.add(name);
      continue;
    }
    ensureValidName(name, candidate);
    const existing = images.get(name);
    if (existing) {
      throw new ConfigError(`image name ${name} is defined twice: by ${describeOrigin(existing.origin)} and by ${describeOrigin(candidate.origin)}`, {
        fix: `give one of them another name through images.rename, or leave one out with images.exclude`,
      });
    }
    images.set(name, describeImage({ ...candidate, name }, root, settings));
  }

  checkOverrides(settings, images, excluded, skipped);
  linkParents([...images.values()], settings.registry.staging);
  const chosen = selectImages(images, options.selected, settings);
  const chosenNames = new Set(chosen.map((image) => image.name));
  for (const image of chosen) {
    // NOTE: a parent left out by --images is not built in this run, so the
    // engine builds the child from whatever image its FROM reference names
    // locally, such as the copy tagged by an earlier run.
    image.parents = image.parents.filter((parent) => chosenNames.has(parent));
  }
  return { images: orderByParents(chosen), skipped, unsetVariables };
}

/** Returns the images of `discoverCatalog`, in build order. */
export function discoverImages(settings: Settings, sourceDir: string, selected?: string[], options: Omit<DiscoverOptions, 'selected'> = {}): CatalogImage[] {
  return discoverCatalog(settings, sourceDir, { ...options, selected }).images;
}

/** Returns the `images.discover` globs. Unset means `docker/Dockerfile.*` when `images:` names no other source, and none otherwise. */
export function discoverGlobs(settings: Settings): string[] {
  const { discover, compose, list } = settings.images;
  if (discover !== undefined) return typeof discover === 'string' ? [discover] : discover;
  return compose === undefined && list === undefined ? [DEFAULT_DISCOVER_GLOB] : [];
}

/** Describes where an image was defined, for messages. */
export function describeOrigin(origin: ImageOrigin): string {
  if (origin.kind === 'compose') return `service ${origin.service} in ${origin.file}`;
  if (origin.kind === 'list') return `${origin.file} in drydock.yml`;
  return origin.file;
}

function ensureValidName(name: string, candidate: ImageCandidate): void {
  const problem = findNameProblem(name);
  if (problem === undefined) return;

  const renamed = name !== candidate.name ? ` (renamed from ${JSON.stringify(candidate.name)} by images.rename)` : '';
  const fixes: Record<ImageOrigin['kind'], string> = {
    glob: `rename the file, map the name to a valid one with images.rename, or add it to images.exclude`,
    compose: `rename the service, map the name to a valid one with images.rename, or add it to images.exclude`,
    list: `correct ${candidate.origin.file}.name`,
  };
  throw new ConfigError(`image name ${JSON.stringify(name)}${renamed} from ${describeOrigin(candidate.origin)} is not a valid repository name: it ${problem}`, {
    fix: renamed ? `correct images.rename.${candidate.name}` : fixes[candidate.origin.kind],
  });
}

function describeImage(candidate: ImageCandidate, root: string, settings: Settings): CatalogImage {
  const { name, origin } = candidate;
  const override = settings.images.overrides[name] ?? {};
  const dockerfile = override.dockerfile === undefined ? candidate.dockerfile : path.resolve(root, override.dockerfile);
  const context = override.context === undefined ? candidate.context : path.resolve(root, override.context);
  for (const [key, value, overridden] of [['dockerfile', dockerfile, override.dockerfile], ['context', context, override.context]] as const) {
    if (!value.startsWith(root + path.sep) && value !== root) {
      const setting = overridden !== undefined ? `images.overrides.${name}.${key}` : `${origin.file}.${key}`;
      throw new ConfigError(`${setting} points outside the repository: ${value}`, {
        fix: 'give a path relative to the repository root, inside it',
      });
    }
  }

  const buildArgs = { ...candidate.buildArgs, ...override.buildArgs };
  let text: string;
  try {
    text = readFileSync(dockerfile, 'utf8');
  } catch {
    throw new ConfigError(`Dockerfile of image ${name} not found: ${dockerfile}`, {
      fix: override.dockerfile !== undefined || origin.kind === 'glob' ? `correct images.overrides.${name}.dockerfile` : `correct the dockerfile of ${describeOrigin(origin)}`,
    });
  }

  return {
    name,
    origin,
    dockerfile,
    context,
    buildArgs,
    target: override.target ?? candidate.target,
    platform: override.platform ?? candidate.platform,
    labels: override.labels ?? [],
    timeoutMinutes: override.timeoutMinutes ?? settings.build.timeoutMinutes,
    baseImages: summarizeDockerfile(text, buildArgs).externalImages,
    parents: [],
    parentReferences: [],
    aliases: candidate.aliases,
    composeTest: candidate.composeTest,
  };
}

function checkOverrides(settings: Settings, images: Map<string, CatalogImage>, excluded: Set<string>, skipped: SkippedService[]): void {
  for (const name of Object.keys(settings.images.overrides)) {
    if (excluded.has(name)) {
      throw new ConfigError(`images.overrides.${name} names an image excluded by images.exclude`, {
        fix: `remove images.overrides.${name}, or remove the pattern that matches it from images.exclude`,
      });
    }
    if (images.has(name)) continue;

    const service = skipped.find((entry) => entry.service === name);
    const reason = service ? `: service ${name} in ${service.file} is not an image (${service.reason})` : ' that was not discovered';
    throw new ConfigError(`images.overrides.${name} names an image${reason}`, {
      fix: `use one of: ${[...images.keys()].join(', ') || '(none found)'}${describeSources(settings)}`,
    });
  }
}

function selectImages(images: Map<string, CatalogImage>, selected: string[] | undefined, settings: Settings): CatalogImage[] {
  if (selected === undefined || selected.length === 0) return [...images.values()];

  const unknown = selected.filter((name) => !images.has(name));
  if (unknown.length > 0) {
    throw new ConfigError(`unknown image ${unknown.map((name) => JSON.stringify(name)).join(', ')} in --images`, {
      fix: `choose from: ${[...images.keys()].join(', ') || '(none found)'}${images.size === 0 ? describeSources(settings) : ''}`,
    });
  }
  return [...new Set(selected)].map((name) => images.get(name)!);
}

/** Names the configured sources, for messages about images that were not found. */
function describeSources(settings: Settings): string {
  const { compose, list } = settings.images;
  const globs = discoverGlobs(settings);
  const sources = [
    globs.length > 0 ? `images.discover = ${JSON.stringify(globs.length === 1 ? globs[0] : globs)}` : undefined,
    compose !== undefined ? `images.compose = ${JSON.stringify(compose)}` : undefined,
    list !== undefined ? `images.list (${list.length} entries)` : undefined,
  ].filter(Boolean);
  return `, or check ${sources.join(', ')}`;
}

function globToRegExp(pattern: string): RegExp {
  const escaped = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${escaped}$`);
}
