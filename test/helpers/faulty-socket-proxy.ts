import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import path from 'node:path';

export interface FaultySocketProxy {
  /** The proxy's socket file, for a `unix://` engine host. */
  path: string;
  /** Chance from 0 to 1 that a new connection is cut; changed between nights. */
  dropRate: number;
  readonly connections: number;
  /** Connections the proxy cut on purpose. */
  readonly drops: number;
  /** Cuts every connection open now, such as a build stream that docker-modem keeps alive. Returns how many. */
  cutOpenConnections(): number;
  close(): Promise<void>;
}

/**
 * Starts a unix socket that forwards each connection to the Docker socket
 * `target`, and cuts a connection, with chance `dropRate`, at a random moment
 * up to `maxDropDelayMs` after it opened. Docker clients keep connections
 * alive, so few are opened; `cutOpenConnections` cuts the ones in use. Cutting both ends at once is what a
 * dead engine or a broken SSH tunnel looks like to drydock. `random` returns
 * numbers in [0, 1), so a seeded generator repeats a run.
 */
export async function startFaultySocketProxy(target: string, random: () => number, maxDropDelayMs: number): Promise<FaultySocketProxy> {
  const dir = mkdtempSync('/tmp/ddsoak-');
  const socketPath = path.join(dir, 'engine.sock');
  const open = new Set<Socket>();
  const cutters = new Set<() => void>();
  const counts = { connections: 0, drops: 0 };

  const proxy: FaultySocketProxy = {
    path: socketPath,
    dropRate: 0,
    get connections() {
      return counts.connections;
    },
    get drops() {
      return counts.drops;
    },
    cutOpenConnections() {
      const clients = [...cutters];
      for (const cut of clients) cut();
      counts.drops += clients.length;
      return clients.length;
    },
    async close() {
      if (!server.listening) return;
      for (const socket of open) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
      rmSync(dir, { recursive: true, force: true });
    },
  };

  const server = createServer((client) => {
    counts.connections++;
    const upstream = connect(target);
    open.add(client).add(upstream);
    client.pipe(upstream).pipe(client);
    const cut = () => {
      client.destroy();
      upstream.destroy();
      open.delete(client);
      open.delete(upstream);
      cutters.delete(cut);
    };
    cutters.add(cut);
    client.on('error', cut).on('close', cut);
    upstream.on('error', cut).on('close', cut);

    if (random() < proxy.dropRate) {
      const timer = setTimeout(() => {
        if (client.destroyed) return;
        counts.drops++;
        cut();
      }, Math.floor(random() * maxDropDelayMs));
      timer.unref();
    }
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  return proxy;
}
