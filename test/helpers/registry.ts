import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface TestRegistry {
  /** `127.0.0.1:<port>` */
  host: string;
  stop(): Promise<void>;
  /** Tags of a repository, sorted; empty when the repository does not exist. */
  listTags(repository: string): Promise<string[]>;
  /** The manifest digest a tag points to. */
  manifestDigest(repository: string, tag: string): Promise<string | undefined>;
}

const MANIFEST_TYPES = [
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.index.v1+json',
].join(', ');

/** Returns a TCP port that was free a moment ago on 127.0.0.1. */
export async function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts Debian's docker-registry (the CNCF distribution registry) on a
 * free loopback port with its own storage. `htpasswd` (a file's text, from
 * `htpasswd -Bbn user pass`) turns on basic auth; `username` and `password`
 * are what the helper's own checks send.
 */
export async function startRegistry(options: { htpasswd?: string; username?: string; password?: string } = {}): Promise<TestRegistry> {
  const dir = mkdtempSync(path.join(tmpdir(), 'drydock-registry-'));
  const port = await findFreePort();
  const host = `127.0.0.1:${port}`;
  const auth = options.htpasswd
    ? `auth: { htpasswd: { realm: drydock-test, path: ${path.join(dir, 'htpasswd')} } }\n`
    : '';
  if (options.htpasswd) writeFileSync(path.join(dir, 'htpasswd'), options.htpasswd);
  writeFileSync(
    path.join(dir, 'config.yml'),
    `version: 0.1\nlog: { level: warn }\nstorage: { filesystem: { rootdirectory: ${path.join(dir, 'data')} }, delete: { enabled: true } }\nhttp: { addr: ${host} }\n${auth}`,
  );

  const child = spawn('docker-registry', ['serve', path.join(dir, 'config.yml')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  await waitForRegistry(host, child, () => stderr);

  const authHeader: Record<string, string> =
    options.username !== undefined
      ? { authorization: `Basic ${Buffer.from(`${options.username}:${options.password ?? ''}`).toString('base64')}` }
      : {};
  return {
    host,
    async stop() {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
      rmSync(dir, { recursive: true, force: true });
    },
    async listTags(repository) {
      const response = await fetch(`http://${host}/v2/${repository}/tags/list`, { headers: authHeader });
      if (response.status === 404) return [];
      const body = (await response.json()) as { tags?: string[] | null };
      return [...(body.tags ?? [])].sort();
    },
    async manifestDigest(repository, tag) {
      const response = await fetch(`http://${host}/v2/${repository}/manifests/${tag}`, {
        method: 'HEAD',
        headers: { ...authHeader, accept: MANIFEST_TYPES },
      });
      return response.ok ? (response.headers.get('docker-content-digest') ?? undefined) : undefined;
    },
  };
}

async function waitForRegistry(host: string, child: ChildProcess, stderr: () => string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`docker-registry exited with ${child.exitCode}: ${stderr()}`);
    try {
      const response = await fetch(`http://${host}/v2/`);
      if (response.status === 200 || response.status === 401) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  child.kill('SIGTERM');
  throw new Error(`docker-registry did not answer on ${host} within 15 s: ${stderr()}`);
}
