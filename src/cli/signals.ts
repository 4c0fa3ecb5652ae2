/**
 * Turns the first SIGINT or SIGTERM into an abort, so the run can stop its
 * builds and record itself as cancelled. A second signal exits at once.
 */
export function cancelOnSignals(onCancel: (signal: NodeJS.Signals) => void): { signal: AbortSignal; dispose: () => void } {
  const controller = new AbortController();
  const handler = (signal: NodeJS.Signals) => {
    if (controller.signal.aborted) process.exit(130);
    onCancel(signal);
    controller.abort(new Error(`${signal} received`));
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return {
    signal: controller.signal,
    dispose: () => {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    },
  };
}
