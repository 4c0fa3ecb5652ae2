import { statfsSync } from 'node:fs';
import type { EnginePool } from '../engine/engine-pool.js';
import { DrydockError } from '../errors.js';

/** A folder has less free space than `disk.minFreeGb`. */
export class DiskSpaceError extends DrydockError {}

const BYTES_PER_GB = 1024 ** 3;

/** Free bytes of the file system holding `folder`, for an unprivileged process. */
export function freeBytes(folder: string): number {
  const stats = statfsSync(folder);
  return stats.bavail * stats.bsize;
}

/**
 * Checks the free space of the state directory and of the data root of
 * every local engine (`unix://`) that is up. Remote engines are skipped,
 * because their data root is on another machine.
 */
export async function checkFreeSpace(stateDir: string, pool: EnginePool, minFreeGb: number): Promise<void> {
  const folders = [{ what: 'the state directory', folder: stateDir }];
  for (const engine of pool.engines) {
    if (engine.state !== 'up' || !engine.host.startsWith('unix://')) continue;
    const info = (await engine.docker.info()) as { DockerRootDir?: string };
    if (info.DockerRootDir) folders.push({ what: `the data root of engine ${engine.name}`, folder: info.DockerRootDir });
  }

  const required = minFreeGb * BYTES_PER_GB;
  for (const { what, folder } of folders) {
    let free: number;
    try {
      free = freeBytes(folder);
    } catch {
      // A data root drydock cannot see (another mount namespace) is not checked.
      continue;
    }
    if (free < required) {
      throw new DiskSpaceError(
        `${what} (${folder}) has ${(free / BYTES_PER_GB).toFixed(1)} GB free, less than disk.minFreeGb = ${minFreeGb}`,
        { fix: 'free space there (for example: docker image prune), or lower disk.minFreeGb in drydock.yml' },
      );
    }
  }
}
