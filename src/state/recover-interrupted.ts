import type { EnginePool } from '../engine/engine-pool.js';
import type { Logger } from '../logger.js';
import type { Store } from '../store/store.js';
import type { RunRecord } from '../store/types.js';

/** A run that a crash or SIGKILL left unfinished, after recovery. */
export interface RecoveredRun {
  run: RunRecord;
  /** Images that had finished, with their status. */
  finished: { image: string; status: string }[];
  /** Images that had not finished, for a re-queue. */
  unfinished: string[];
  removedContainers: number;
  removedImages: number;
}

/**
 * Marks every run still recorded as running `interrupted`, with what it had
 * done, and removes its leftover containers and the images it made but did
 * not finish. Logs stay. Call it only while holding the state lock: then no
 * other process can be running those runs.
 */
export async function recoverInterruptedRuns(store: Store, pool: EnginePool, logger: Logger, now = new Date()): Promise<RecoveredRun[]> {
  const interrupted = store.listRuns({ limit: 100_000 }).filter((run) => run.status === 'running');
  const recovered: RecoveredRun[] = [];
  if (interrupted.length === 0) return recovered;

  const engines = await pool.checkAll();
  for (const run of interrupted) {
    const results = store.listImageResults(run.id);
    const finished = results.filter((result) => !['pending', 'running'].includes(result.status));
    const unfinished = results.filter((result) => ['pending', 'running'].includes(result.status));
    const summary = `interrupted: drydock stopped (a crash or SIGKILL) during this run; ${finished.length} of ${results.length} images had finished`;

    store.db.transaction(() => {
      for (const result of unfinished) {
        store.saveImageResult({
          ...result,
          status: 'cancelled',
          cause: 'interrupted',
          error: 'interrupted before this image finished',
          finishedAt: result.startedAt === null ? null : now.toISOString(),
        });
      }
      store.finishRun(run.id, 'interrupted', now.toISOString(), summary);
    })();

    let removedContainers = 0;
    let removedImages = 0;
    for (const engine of engines) {
      const filters = JSON.stringify({ label: [`drydock.run-id=${run.id}`] });
      const containers = await engine.docker.listContainers({ all: true, filters });
      for (const container of containers) {
        await engine.docker.getContainer(container.Id).remove({ force: true }).then(
          () => removedContainers++,
          (error: Error) => logger.warn({ runId: run.id, engine: engine.name, container: container.Id, err: error }, 'leftover container not removed'),
        );
      }

      const keep = new Set(finished.filter((result) => result.status === 'succeeded').map((result) => result.image));
      const images = await engine.docker.listImages({ all: true, filters });
      for (const image of images) {
        if (keep.has(image.Labels?.['drydock.image'] ?? '')) continue;
        await engine.docker.getImage(image.Id).remove({ force: true }).then(
          () => removedImages++,
          (error: Error) => logger.warn({ runId: run.id, engine: engine.name, image: image.Id, err: error }, 'partial image not removed'),
        );
      }
    }

    logger.warn({ runId: run.id, kind: run.kind, unfinished: unfinished.map((result) => result.image), removedContainers, removedImages }, 'interrupted run recovered');
    recovered.push({
      run: store.getRun(run.id)!,
      finished: finished.map((result) => ({ image: result.image, status: result.status })),
      unfinished: unfinished.map((result) => result.image),
      removedContainers,
      removedImages,
    });
  }
  return recovered;
}
