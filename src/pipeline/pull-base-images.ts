import type Docker from 'dockerode';
import type { LogFile } from '../build/log-file.js';
import type { DrydockEnv } from '../config/env.js';
import { followProgress } from '../engine/progress.js';
import { findRegistryAuth, registryHostOf } from '../registry/credentials.js';
import { splitReference } from '../catalog/image-reference.js';

export interface PulledBases {
  /** Digest of each base image (its image id when it has no registry digest), by reference. */
  digests: Record<string, string | null>;
  error: string | undefined;
  failedStep: string | undefined;
}

/**
 * Pulls each base image when `pull` is set, so a build starts from the
 * newest upstream copy, then records the digest each base resolves to.
 */
export async function pullBaseImages(
  docker: Docker,
  references: string[],
  options: { pull: boolean; env: DrydockEnv; log: LogFile; signal: AbortSignal },
): Promise<PulledBases> {
  const digests: Record<string, string | null> = {};
  for (const reference of references) {
    if (options.pull) {
      await options.log.note(`pulling base image ${reference}`);
      const error = await pullOne(docker, reference, options);
      if (error !== undefined) {
        await options.log.note(`pull of base image ${reference} failed: ${error}`);
        return { digests, error: `pull of base image ${reference} failed: ${error}`, failedStep: `FROM ${reference}` };
      }
    }
    digests[reference] = await digestOf(docker, reference);
  }
  return { digests, error: undefined, failedStep: undefined };
}

async function pullOne(docker: Docker, reference: string, options: { env: DrydockEnv; log: LogFile; signal: AbortSignal }): Promise<string | undefined> {
  const { repository, tag } = splitReference(reference);
  try {
    const auth = findRegistryAuth(registryHostOf(repository), options.env);
    const stream = await docker.createImage(auth ?? {}, {
      fromImage: repository,
      tag: reference.includes('@') ? reference.split('@')[1] : tag,
      abortSignal: options.signal,
    });
    return (await followProgress(stream, options.log)).error;
  } catch (error) {
    return (error as Error).message;
  }
}

async function digestOf(docker: Docker, reference: string): Promise<string | null> {
  try {
    const inspected = await docker.getImage(reference).inspect();
    const repository = splitReference(reference).repository;
    const repoDigest = inspected.RepoDigests?.find((entry) => entry.startsWith(`${repository}@`)) ?? inspected.RepoDigests?.[0];
    return repoDigest?.split('@')[1] ?? inspected.Id;
  } catch {
    return null;
  }
}
