import { DrydockError } from '../errors.js';

/**
 * The engine itself failed (connection refused or lost, a daemon error), as
 * opposed to the Dockerfile. Work that hits it can move to another engine.
 */
export class EngineFaultError extends DrydockError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { ...options, fix: 'check the engine, or list another one under engines: in drydock.yml' });
  }
}
