import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../logger.js';
import { DashboardQueries } from '../store/dashboard-queries.js';
import { InventoryStore } from '../store/inventory-store.js';
import type { Store } from '../store/store.js';
import { ValidateStore } from '../store/validate-store.js';
import { DashboardLinks } from './links.js';
import { routeRequest, type DashboardContext } from './routes.js';

export interface DashboardOptions {
  store: Store;
  /** `host:port`, as `dashboard.listen`; port 0 picks a free port. */
  listen: string;
  /** `dashboard.publicUrl`; unset means the address the server listens on. */
  publicUrl?: string;
  /** The source repository, for links to commits; null when unknown. */
  sourceRepo: string | null;
  logger: Logger;
  clock?: () => Date;
  logPollIntervalMs?: number;
}

export interface RunningDashboard {
  server: Server;
  /** The address the server listens on, such as http://127.0.0.1:8080. */
  url: string;
  links: DashboardLinks;
  close: () => Promise<void>;
}

/**
 * Browsers and proxies get these on every answer: scripts and styles only
 * from the dashboard itself, so even markup that slipped through escaping
 * could not run.
 */
const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'same-origin',
};

/** Splits `host:port` (IPv6 hosts in brackets) into its parts. */
export function parseListenAddress(listen: string): { host: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:]+)):([0-9]{1,5})$/.exec(listen);
  const port = Number(match?.[3]);
  if (!match || port > 65535) {
    throw new RangeError(`listen address ${JSON.stringify(listen)} is invalid: give host:port, such as 127.0.0.1:8080`);
  }
  return { host: match[1] ?? match[2]!, port };
}

/** Starts the dashboard's HTTP server and resolves once it listens. */
export async function startDashboard(options: DashboardOptions): Promise<RunningDashboard> {
  const { host, port } = parseListenAddress(options.listen);
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });

  const address = server.address() as AddressInfo;
  const url = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
  const links = new DashboardLinks(options.publicUrl ?? url, options.sourceRepo);
  const context: DashboardContext = {
    data: {
      store: options.store,
      queries: new DashboardQueries(options.store.db),
      validations: new ValidateStore(options.store.db),
      inventories: new InventoryStore(options.store.db),
    },
    links,
    logger: options.logger,
    clock: options.clock ?? (() => new Date()),
    logPollIntervalMs: options.logPollIntervalMs,
  };

  server.on('request', (request, response) => {
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) response.setHeader(name, value);
    const requestUrl = new URL(request.url ?? '/', 'http://dashboard.invalid');
    // Accept paths with and without the public base path, for proxies that strip it and ones that keep it.
    let path = requestUrl.pathname;
    if (links.basePath !== '' && (path === links.basePath || path.startsWith(`${links.basePath}/`))) {
      path = path.slice(links.basePath.length) || '/';
    }
    routeRequest(context, request, response, requestUrl, path).catch((error: unknown) => {
      options.logger.error({ err: error, path }, 'dashboard request failed');
      response.destroy();
    });
  });
  options.logger.info({ url, publicUrl: links.publicUrl }, 'dashboard listening');

  return {
    server,
    url,
    links,
    close: () =>
      new Promise<void>((resolve, reject) => {
        // Event streams of live logs stay open until closed, so end every connection.
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
