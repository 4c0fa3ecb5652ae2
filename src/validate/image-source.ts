import type Docker from 'dockerode';
import type { LogFile } from '../build/log-file.js';
import { stripTag } from '../catalog/image-reference.js';
import type { DrydockEnv } from '../config/env.js';
import type { Settings } from '../config/load-config.js';
import { followProgress } from '../engine/progress.js';
import { findRegistryAuth, registryHostOf } from '../registry/credentials.js';
import type { ImageResultRecord } from '../store/types.js';

/** Maximum time a pull of one image may take before it counts as failed. */
const PULL_TIMEOUT_MS = 60 * 60_000;

export type ImageSource = { ok: true; reference: string } | { ok: false; error: string; cause: 'registry' | 'engine' };

/**
 * Makes the image a rebuild produced available on the engine: pulls it by
 * the digest the push recorded, or, when it was never pushed, checks that
 * the engine still has the image id the build recorded.
 */
export async function resolveStagingImage(
  docker: Docker,
  build: ImageResultRecord,
  options: { env: DrydockEnv; log: LogFile; signal: AbortSignal },
): Promise<ImageSource> {
  const repository = build.tags[0] ? stripTag(build.tags[0]) : undefined;
  if (build.digest && repository) {
    const reference = `${repository}@${build.digest}`;
    await options.log.note(`pulling ${reference}`);
    const error = await pull(docker, repository, build.digest, options);
    if (error !== undefined) return { ok: false, error: `pull of ${reference} failed: ${error}`, cause: 'registry' };
    return { ok: true, reference };
  }

  if (!build.imageId) return { ok: false, error: `run ${build.runId} recorded no image id or digest for ${build.image}`, cause: 'engine' };
  try {
    await docker.getImage(build.imageId).inspect();
  } catch (error) {
    return {
      ok: false,
      error: `image ${build.imageId} of ${build.image} is no longer on the engine and was never pushed: ${(error as Error).message}`,
      cause: 'engine',
    };
  }
  await options.log.note(`using local image ${build.imageId} (the rebuild pushed nothing)`);
  return { ok: true, reference: build.imageId };
}

/** Returns the production reference of an image: `<production.registry>/<name>:<production.tag>`. */
export function productionReference(settings: Settings, image: string): string | undefined {
  const production = settings.production;
  if (!production) return undefined;
  const override = settings.images.overrides[image]?.productionName;
  const name = override ?? (production.nameStyle === 'hyphen' ? image.replace(/_/g, '-') : image);
  return `${production.registry}/${name}:${production.tag}`;
}

export type ProductionSource = { ok: true; reference: string; note: string | null } | { ok: false; reference: string | null; note: string };

/**
 * Pulls the production image of `image`. When the pull fails but the
 * engine has an older copy, that copy is used and the note reports it.
 */
export async function resolveProductionImage(
  docker: Docker,
  settings: Settings,
  image: string,
  options: { env: DrydockEnv; log: LogFile; signal: AbortSignal },
): Promise<ProductionSource> {
  const reference = productionReference(settings, image);
  if (reference === undefined) {
    return { ok: false, reference: null, note: 'no production image to compare with: production.registry is not configured' };
  }

  const repository = stripTag(reference);
  const tag = reference.slice(repository.length + 1);
  await options.log.note(`pulling production image ${reference}`);
  const error = await pull(docker, repository, tag, options);
  if (error === undefined) return { ok: true, reference, note: null };

  try {
    await docker.getImage(reference).inspect();
    const note = `pull of production image ${reference} failed (${error}); compared with the copy the engine already had`;
    await options.log.note(note);
    return { ok: true, reference, note };
  } catch {
    const note = `production image ${reference} is not available: ${error}`;
    await options.log.note(note);
    return { ok: false, reference, note };
  }
}

async function pull(
  docker: Docker,
  repository: string,
  tagOrDigest: string,
  options: { env: DrydockEnv; log: LogFile; signal: AbortSignal },
): Promise<string | undefined> {
  try {
    const auth = findRegistryAuth(registryHostOf(repository), options.env);
    const stream = await docker.createImage(auth ?? {}, {
      fromImage: repository,
      tag: tagOrDigest,
      abortSignal: AbortSignal.any([options.signal, AbortSignal.timeout(PULL_TIMEOUT_MS)]),
    });
    return (await followProgress(stream, options.log)).error;
  } catch (error) {
    return (error as Error).message;
  }
}
