import { existsSync } from 'node:fs';
import path from 'node:path';
import { readEnv } from '../config/env.js';
import { loadSettings } from '../config/load-config.js';
import { ConfigError } from '../errors.js';
import { buildDashboardMatrix } from '../dashboard/matrix-model.js';
import { formatOutcomeMatrix } from '../report/matrix.js';
import { DashboardQueries } from '../store/dashboard-queries.js';
import { Store } from '../store/store.js';

const MAX_DAYS = 366;

export function runStatusCommand(options: { config?: string; stateDir?: string; days: string; json?: boolean }): number {
  const days = Number(options.days);
  if (!Number.isInteger(days) || days < 1 || days > MAX_DAYS) {
    throw new ConfigError(`--days = ${JSON.stringify(options.days)} is invalid`, { fix: `give a whole number from 1 to ${MAX_DAYS}` });
  }

  const settings = loadSettings({ config: options.config, stateDir: options.stateDir }, readEnv());
  const file = path.join(settings.stateDir, 'drydock.db');
  if (!existsSync(file)) {
    process.stderr.write(`No runs recorded yet: ${file} does not exist. Run drydock rebuild first.\n`);
    if (options.json) process.stdout.write(`${JSON.stringify({ columns: [], rows: [] })}\n`);
    return 0;
  }
  const store = Store.open(file);
  try {
    const matrix = buildDashboardMatrix(new DashboardQueries(store.db), days, new Date());
    process.stdout.write(options.json ? `${JSON.stringify(matrix, null, 2)}\n` : `${formatOutcomeMatrix(matrix)}\n`);
    return 0;
  } finally {
    store.close();
  }
}
