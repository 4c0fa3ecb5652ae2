import type Docker from 'dockerode';
import { EngineFaultError } from './engine-fault.js';
import { followProgress } from './progress.js';

/**
 * Copies an image from one engine to another by streaming `docker save`
 * into `docker load`, without a registry in between. The image keeps its id,
 * so it can be tagged on the target right after.
 */
export async function transferImage(source: Docker, target: Docker, imageId: string, signal: AbortSignal): Promise<void> {
  let exported: NodeJS.ReadableStream;
  try {
    exported = await source.getImage(imageId).get();
  } catch (error) {
    throw new EngineFaultError(`export of image ${imageId} from its engine failed: ${(error as Error).message}`, { cause: error });
  }

  try {
    const loaded = await target.loadImage(exported, { quiet: true, abortSignal: signal } as object);
    const progress = await followProgress(loaded, undefined);
    if (progress.error !== undefined) throw new Error(progress.error);
  } catch (error) {
    throw new EngineFaultError(`load of image ${imageId} into the target engine failed: ${(error as Error).message}`, { cause: error });
  }
}
