import { readEnv } from '../config/env.js';
import { loadSettings } from '../config/load-config.js';
import { EnginePool } from '../engine/engine-pool.js';
import { createLogger } from '../logger.js';

/** Checks every configured engine and prints its state, slots, platforms and labels. */
export async function runEnginesCommand(options: { config?: string; json?: boolean }): Promise<number> {
  const env = readEnv();
  const settings = loadSettings({ config: options.config }, env);
  const pool = EnginePool.fromConfig(settings.engines, env, createLogger(process.env.DRYDOCK_LOG_LEVEL || 'error'), settings.build.concurrency);
  await pool.checkAll();

  const rows = pool.engines.map((engine) => ({
    name: engine.name,
    host: engine.host,
    state: engine.state,
    reason: engine.downReason ?? null,
    slots: engine.slots,
    platforms: engine.platforms,
    labels: engine.labels,
  }));
  if (options.json) {
    process.stdout.write(`${JSON.stringify({ engines: rows }, null, 2)}\n`);
  } else {
    for (const row of rows) {
      const platforms = row.platforms.join(',') || '(unknown)';
      const labels = row.labels.length > 0 ? ` labels=${row.labels.join(',')}` : '';
      const reason = row.reason ? ` (${row.reason})` : '';
      process.stdout.write(`${row.name}  ${row.state}${reason}  ${row.host}  slots=${row.slots}  platforms=${platforms}${labels}\n`);
    }
  }
  return rows.every((row) => row.state === 'up') ? 0 : 1;
}
