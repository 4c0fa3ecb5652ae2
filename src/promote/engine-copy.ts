import type Docker from 'dockerode';
import type { LogFile } from '../build/log-file.js';
import type { DrydockEnv } from '../config/env.js';
import { followProgress } from '../engine/progress.js';
import { DrydockError } from '../errors.js';
import { findRegistryAuth, registryHostOf } from '../registry/credentials.js';
import { pushImage } from '../registry/push-image.js';
import { DigestMismatchError } from './copy-image.js';
import type { PromotionPlan } from './plan.js';
import { findProductionCredentials } from './registries.js';

/** Longest time the pull of the staging image may take. */
const PULL_TIMEOUT_MS = 60 * 60_000;

/**
 * Copies the staging digest to production with the Docker engine: pull by
 * digest, tag, push. The engine may compress layers anew on push, so the
 * pushed digest is compared with the staging digest, and a mismatch fails
 * the promotion (the production tags then point to an image that is not
 * byte-identical to what was validated).
 */
export async function copyWithEngine(
  docker: Docker,
  plan: PromotionPlan,
  options: { env: DrydockEnv; log: LogFile; signal: AbortSignal; retries: number },
): Promise<void> {
  if (plan.manifest.parsed.kind === 'index') {
    throw new DrydockError(`${plan.stagingReference} is a multi-platform index, and an engine pulls only its own platform`, {
      fix: 'set promote.method: registry in drydock.yml, which copies every platform',
    });
  }

  const stagingRepository = plan.stagingReference.slice(0, plan.stagingReference.lastIndexOf(':'));
  await options.log.note(`pulling ${stagingRepository}@${plan.digest}`);
  const stream = await docker.createImage(findRegistryAuth(registryHostOf(stagingRepository), options.env) ?? {}, {
    fromImage: stagingRepository,
    tag: plan.digest,
    abortSignal: AbortSignal.any([options.signal, AbortSignal.timeout(PULL_TIMEOUT_MS)]),
  });
  const pulled = await followProgress(stream, options.log);
  if (pulled.error !== undefined) throw new DrydockError(`pull of ${stagingRepository}@${plan.digest} failed: ${pulled.error}`);

  const image = docker.getImage(`${stagingRepository}@${plan.digest}`);
  for (const tag of plan.productionTags) await image.tag({ repo: plan.productionRepository, tag });

  const host = registryHostOf(plan.productionRepository);
  const { credentials } = findProductionCredentials(host, options.env);
  const pushed = await pushImage(docker, {
    references: plan.productionTags.map((tag) => `${plan.productionRepository}:${tag}`),
    auth: credentials ? { ...credentials, serveraddress: host } : undefined,
    retries: options.retries,
    log: options.log,
    signal: options.signal,
  });
  if (!pushed.ok) throw new DrydockError(`push to production registry ${host} failed: ${pushed.error}`);
  if (pushed.digest !== plan.digest) {
    throw new DigestMismatchError(`the engine pushed ${plan.productionRepository} as ${pushed.digest}, not as the staging digest ${plan.digest}`, {
      fix: 'set promote.method: registry in drydock.yml, which copies the manifest bytes unchanged',
    });
  }
}
