import { readFileSync } from 'node:fs';
import type Docker from 'dockerode';
import type { CatalogImage } from '../catalog/discover-images.js';
import { packBuildContext } from './build-context.js';
import type { LogFile } from './log-file.js';
import { EngineFaultError } from '../engine/engine-fault.js';
import { readJsonLines } from './json-lines.js';

export interface BuildRequest {
  image: CatalogImage;
  /** Full references to tag the result with. */
  tags: string[];
  labels: Record<string, string>;
  noCache: boolean;
  network: string | undefined;
  log: LogFile;
  timeoutMs: number;
  /** Aborts the build when the run is cancelled. */
  signal: AbortSignal;
}

export type BuildOutcome =
  | { ok: true; imageId: string; sizeBytes: number }
  | { ok: false; reason: 'failed' | 'timeout' | 'cancelled'; error: string; failedStep: string | undefined };

/**
 * Builds one image through the engine's build API and streams its output
 * into the log. A build failure is returned, not thrown. An engine that
 * fails or drops the connection throws `EngineFaultError`.
 */
export async function buildImage(docker: Docker, request: BuildRequest): Promise<BuildOutcome> {
  const { image, log } = request;
  const timeout = AbortSignal.timeout(request.timeoutMs);
  const signal = AbortSignal.any([request.signal, timeout]);
  const labelled = withLabelInstruction(readFileSync(image.dockerfile, 'utf8'), request.labels, image.target);
  const context = packBuildContext(image.context, image.dockerfile, labelled);

  let currentStep: string | undefined;
  let imageId: string | undefined;
  let error: string | undefined;
  let lastStepImage: string | undefined;
  let stepIsFrom = false;
  const buildStarted = Date.now();

  try {
    const response = await docker.buildImage(context.stream, {
      dockerfile: context.dockerfile,
      t: request.tags,
      // Without the LABEL line, the engine adds one build step per label.
      ...(labelled === undefined ? { labels: request.labels } : {}),
      buildargs: image.buildArgs,
      nocache: request.noCache,
      // Base images are pulled before the build, so that images of the same
      // set resolve to this run's local copy instead of a registry's.
      pull: false,
      rm: true,
      forcerm: true,
      ...(request.network ? { networkmode: request.network } : {}),
      ...(image.target ? { target: image.target } : {}),
      ...(image.platform ? { platform: image.platform } : {}),
      abortSignal: signal,
    } as unknown as Docker.ImageBuildOptions);

    for await (const message of readJsonLines(response)) {
      if (typeof message.stream === 'string') {
        const step = /^Step \d+\/\d+ : .*/m.exec(message.stream)?.[0];
        if (step) {
          currentStep = log.redact(step.trim());
          stepIsFrom = /^Step \d+\/\d+ : FROM\s/i.test(step);
        }
        // The builder sends each step's image line as a message of its own. The image after FROM is the base image.
        const stepImage = STEP_IMAGE_MESSAGE.exec(message.stream)?.[1];
        if (stepImage && !stepIsFrom) lastStepImage = stepImage;
        await log.write(message.stream);
      } else if (typeof message.status === 'string') {
        await log.write(`${message.id ? `${message.id}: ` : ''}${message.status}${message.progress ? ` ${message.progress}` : ''}\n`);
      }
      const aux = message.aux as { ID?: string } | undefined;
      if (aux?.ID) imageId = aux.ID;
      if (message.error !== undefined) {
        error = log.redact(String((message.errorDetail as { message?: string } | undefined)?.message ?? message.error));
        await log.write(`ERROR: ${error}\n`);
      }
    }
  } catch (caught) {
    if (timeout.aborted) {
      const minutes = request.timeoutMs / 60_000;
      await log.note(`build timed out after ${minutes} minutes; the engine stops it`);
      await removeStepImages(docker, lastStepImage, buildStarted, log);
      return { ok: false, reason: 'timeout', error: `build timed out after ${minutes} minutes`, failedStep: currentStep };
    }
    if (request.signal.aborted) {
      await log.note('build cancelled');
      await removeStepImages(docker, lastStepImage, buildStarted, log);
      return { ok: false, reason: 'cancelled', error: 'build cancelled', failedStep: currentStep };
    }
    throw new EngineFaultError(`connection to the engine failed during the build: ${(caught as Error).message}`, { cause: caught });
  }

  if (error !== undefined) {
    await removeStepImages(docker, lastStepImage, buildStarted, log);
    return { ok: false, reason: 'failed', error, failedStep: currentStep };
  }
  if (imageId === undefined) {
    throw new EngineFaultError('the engine ended the build stream without an image id or an error');
  }

  const inspected = await docker.getImage(imageId).inspect();
  return { ok: true, imageId, sizeBytes: inspected.Size };
}

/** The classic builder's message naming the image a step produced, such as ` ---> 3c8a2f0a9d1b`. */
const STEP_IMAGE_MESSAGE = /^ ---> ([0-9a-f]{12,64})\n?$/;

/**
 * Removes the images of the steps that succeeded before a build failed.
 * Nothing refers to them, so each failed night would otherwise leave its
 * layers behind. The image goes only when it has no tag and no digest and
 * was created during this build, so a base image or another user's image is
 * never removed. The engine also removes the untagged parents that nothing
 * else uses, and keeps a cached step that another image builds on.
 */
async function removeStepImages(docker: Docker, stepImage: string | undefined, buildStarted: number, log: LogFile): Promise<void> {
  if (stepImage === undefined) return;
  try {
    const image = docker.getImage(stepImage);
    const { RepoTags: tags, RepoDigests: digests, Created: created } = await image.inspect();
    // Created has a second's precision at best, so the start is rounded down to the second.
    const fromThisBuild = Date.parse(created) >= Math.floor(buildStarted / 1000) * 1000;
    if ((tags ?? []).length > 0 || (digests ?? []).length > 0 || !fromThisBuild) return;
    await image.remove();
    await log.note(`removed the untagged images of the steps that succeeded (${stepImage})`);
  } catch (error) {
    // Another image builds on it (409) or it is gone already (404), so it stays or never mattered.
    await log.note(`kept the images of the steps that succeeded (${stepImage}): ${(error as Error).message}`);
  }
}

/**
 * Appends one LABEL instruction with every label to the Dockerfile's text.
 * The classic builder turns the build API's `labels` into one step per label,
 * each committing a layer, which costs about 0.1 s a label. Returns undefined
 * where an appended line would not reach the image: when `target` names a
 * stage before the last one, or when the Dockerfile changes its escape character.
 */
export function withLabelInstruction(text: string, labels: Record<string, string>, target: string | undefined): string | undefined {
  if (/^#\s*escape\s*=/im.test(text)) return undefined;
  if (target !== undefined) {
    const stages = [...text.matchAll(/^\s*FROM\s+(?:--\S+\s+)*\S+(?:\s+AS\s+(\S+))?/gim)].map((match) => match[1]?.toLowerCase());
    if (stages.at(-1) !== target.toLowerCase()) return undefined;
  }
  // Double quotes with backslash escapes, and `$` escaped so LABEL does not expand it.
  const quote = (value: string) => JSON.stringify(value).replace(/\$/g, '\\$');
  const pairs = Object.entries(labels).map(([key, value]) => `${quote(key)}=${quote(value)}`);
  return `${text.replace(/\s*$/, '')}\nLABEL ${pairs.join(' ')}\n`;
}
