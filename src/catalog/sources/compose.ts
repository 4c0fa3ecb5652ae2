import path from 'node:path';
import type { Settings } from '../../config/load-config.js';
import { ConfigError } from '../../errors.js';
import type { ComposeTest, ImageCandidate, SkippedService } from '../catalog-image.js';
import { readComposeFile } from '../compose/compose-file.js';
import { readKeyValues, type ComposeService, type ServiceVolume } from '../compose/schema.js';
import { stripTag } from '../image-reference.js';

export interface ComposeImages {
  candidates: ImageCandidate[];
  skipped: SkippedService[];
  unsetVariables: string[];
}

/**
 * Turns each service with a `build:` section of `images.compose` into an
 * image. Paths in the file resolve from its folder, as in Compose, and must
 * stay inside the repository. Services without `build:` are returned as
 * skipped, with the reason.
 */
export function readComposeImages(
  settings: Settings,
  root: string,
  environment: Record<string, string | undefined>,
  isExcluded: (service: string, name: string) => boolean,
): ComposeImages {
  const composePath = settings.images.compose!;
  const file = path.resolve(root, composePath);
  const displayPath = toRepositoryPath(root, file);
  ensureInside(root, file, 'images.compose', 'the Compose file');

  const compose = readComposeFile(file, displayPath, environment);
  const composeDir = path.dirname(file);
  const candidates: ImageCandidate[] = [];
  const skipped: SkippedService[] = [];

  for (const [service, definition] of compose.services) {
    const build = definition.build;
    if (build === undefined) {
      const runs = definition.image ? `it runs the image ${definition.image}` : 'it has no image: either';
      skipped.push({ service, file: displayPath, reason: `no build: section, so drydock has nothing to build (${runs})` });
      continue;
    }

    const name = imageNameOf(service, definition, settings.images.nameFrom);
    if (isExcluded(service, name)) {
      skipped.push({ service, file: displayPath, reason: 'excluded by images.exclude' });
      continue;
    }

    const where = `service ${service} in ${displayPath}`;
    const spec = typeof build === 'string' ? { context: build } : build;
    if (spec.dockerfile_inline !== undefined) {
      throw new ConfigError(`${where} uses build.dockerfile_inline, which drydock does not support`, {
        fix: 'move the Dockerfile into a file and set build.dockerfile, or add the service to images.exclude',
      });
    }
    const contextText = spec.context ?? '.';
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(contextText) || contextText.startsWith('git@')) {
      throw new ConfigError(`${where} builds from the remote context ${contextText}, which drydock does not support`, {
        fix: 'build from a folder of the repository, or add the service to images.exclude',
      });
    }

    const context = path.resolve(composeDir, contextText);
    ensureInside(root, context, `build.context of ${where}`, 'the build context');
    const dockerfile = path.resolve(context, spec.dockerfile ?? 'Dockerfile');
    ensureInside(root, dockerfile, `build.dockerfile of ${where}`, 'the Dockerfile');

    candidates.push({
      name,
      origin: { kind: 'compose', file: displayPath, service },
      dockerfile,
      context,
      buildArgs: readKeyValues(spec.args, compose.lookup),
      target: spec.target,
      platform: platformOf(definition, spec.platforms, where),
      aliases: definition.image ? [stripTag(definition.image)] : [],
      composeTest: readComposeTest(definition, { root, composeDir, lookup: compose.lookup }),
    });
  }
  return { candidates, skipped, unsetVariables: compose.unsetVariables };
}

/** Returns the service name, or with `nameFrom: image` the last path part of `image:` without its tag. Services without `image:` keep their name. */
function imageNameOf(service: string, definition: ComposeService, nameFrom: 'service' | 'image'): string {
  if (nameFrom === 'service' || definition.image === undefined) return service;
  return stripTag(definition.image).split('/').at(-1)!;
}

function platformOf(definition: ComposeService, platforms: string[] | undefined, where: string): string | undefined {
  if (definition.platform !== undefined) return definition.platform;
  if (platforms === undefined || platforms.length === 0) return undefined;
  if (platforms.length > 1) {
    throw new ConfigError(`${where} lists several build.platforms (${platforms.join(', ')}), but drydock builds one platform per image`, {
      fix: 'set the service\'s platform:, or choose one with images.overrides.<image>.platform',
    });
  }
  return platforms[0];
}

/**
 * Derives the test command of a service: its `command:`, `working_dir` and
 * `environment`, with each bind mount of a repository folder. Returns
 * undefined for a service without `command:`.
 */
function readComposeTest(
  definition: ComposeService,
  where: { root: string; composeDir: string; lookup: (name: string) => string | undefined },
): ComposeTest | undefined {
  const { command } = definition;
  if (command === undefined || command === null || (Array.isArray(command) && command.length === 0)) return undefined;

  const mounts: ComposeTest['mounts'] = [];
  const ignoredVolumes: string[] = [];
  for (const volume of definition.volumes ?? []) {
    const bind = readBindMount(volume);
    if (!bind) {
      ignoredVolumes.push(`${describeVolume(volume)}: not a bind mount`);
      continue;
    }
    const source = path.resolve(where.composeDir, bind.source);
    if (bind.source.startsWith('~') || (source !== where.root && !source.startsWith(where.root + path.sep))) {
      ignoredVolumes.push(`${describeVolume(volume)}: outside the repository`);
      continue;
    }
    mounts.push({ source: toRepositoryPath(where.root, source), target: bind.target, readOnly: bind.readOnly });
  }

  return {
    command: typeof command === 'string' ? command : command.map((word) => quoteForShell(String(word))).join(' '),
    workdir: definition.working_dir,
    environment: readKeyValues(definition.environment, where.lookup),
    mounts,
    ignoredVolumes,
  };
}

/** Reads a bind mount from the short form `SOURCE:TARGET[:MODE]` (SOURCE a path) or the long form with `type: bind`. */
function readBindMount(volume: ServiceVolume): { source: string; target: string; readOnly: boolean } | undefined {
  if (typeof volume !== 'string') {
    if (volume.type !== 'bind' || volume.source === undefined) return undefined;
    return { source: volume.source, target: volume.target, readOnly: volume.read_only === true };
  }

  const [source, target, mode] = volume.split(':');
  if (source === undefined || target === undefined || !/^[./~]/.test(source)) return undefined;
  return { source, target, readOnly: (mode ?? '').split(',').includes('ro') };
}

function describeVolume(volume: ServiceVolume): string {
  return typeof volume === 'string' ? volume : `${volume.type} ${volume.source ?? '(no source)'}:${volume.target}`;
}

/** Quotes one word for `sh -c`, so a list-form command keeps its words. */
function quoteForShell(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

function ensureInside(root: string, target: string, key: string, what: string): void {
  if (target === root || target.startsWith(root + path.sep)) return;
  throw new ConfigError(`${key} puts ${what} outside the repository: ${target}`, {
    fix: 'use a path inside the repository',
  });
}

/** Returns `target` relative to the repository root, with forward slashes, or `.` for the root itself. */
export function toRepositoryPath(root: string, target: string): string {
  return path.relative(root, target).split(path.sep).join('/') || '.';
}
