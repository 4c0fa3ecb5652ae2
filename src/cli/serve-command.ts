import { once } from 'node:events';
import path from 'node:path';
import { readEnv } from '../config/env.js';
import { loadSettings } from '../config/load-config.js';
import { ListenAddress } from '../config/schema.js';
import { startDashboard } from '../dashboard/server.js';
import { ConfigError, DrydockError } from '../errors.js';
import { createLogger } from '../logger.js';
import { Store } from '../store/store.js';

export interface ServeFlags {
  config?: string;
  stateDir?: string;
  listen?: string;
  publicUrl?: string;
}

/**
 * Serves the dashboard over the store until SIGINT or SIGTERM. `--listen`
 * and `--public-url` override `dashboard.listen` and `dashboard.publicUrl`.
 */
export async function runServeCommand(flags: ServeFlags): Promise<number> {
  const settings = loadSettings({ config: flags.config, stateDir: flags.stateDir }, readEnv());
  const listen = flags.listen ?? settings.dashboard.listen;
  if (!ListenAddress.safeParse(listen).success) {
    throw new ConfigError(`--listen = ${JSON.stringify(listen)} is invalid`, { fix: 'give host:port, such as 127.0.0.1:8080 or [::1]:8080' });
  }
  const publicUrl = flags.publicUrl ?? settings.dashboard.publicUrl;
  if (publicUrl !== undefined && !/^https?:\/\/[^/]/.test(publicUrl)) {
    throw new ConfigError(`--public-url = ${JSON.stringify(publicUrl)} is invalid`, { fix: 'give an http:// or https:// URL, such as https://ci.example.org/drydock' });
  }

  const logger = createLogger(process.env.DRYDOCK_LOG_LEVEL || 'info');
  const store = Store.open(path.join(settings.stateDir, 'drydock.db'));
  try {
    const dashboard = await startDashboard({ store, listen, publicUrl, sourceRepo: settings.source.repo, logger }).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'EADDRINUSE' && error.code !== 'EACCES' && error.code !== 'EADDRNOTAVAIL') throw error;
      throw new DrydockError(`the dashboard cannot listen on ${listen}: ${error.code}`, {
        fix: 'choose a free address and port with --listen or dashboard.listen in drydock.yml',
        cause: error,
      });
    });
    const signal = await Promise.race([once(process, 'SIGINT'), once(process, 'SIGTERM')]);
    logger.info({ signal: signal[0] ?? null }, 'dashboard stopping');
    await dashboard.close();
    return 0;
  } finally {
    store.close();
  }
}
