import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from './cli.js';

export interface TestEngine {
  /** `unix://…/docker.sock` */
  host: string;
  process: ChildProcess;
  /** Runs the docker client against this engine. */
  docker(args: string[]): string;
  stop(): Promise<void>;
}

const START_TIMEOUT_MS = 60_000;

/**
 * Starts an independent dockerd with its own data and exec roots beside the
 * machine's engine, and seeds it with `baseImages` through the busybox seeder.
 * It needs root, like the machine's engine.
 */
export async function startSecondEngine(baseImages: string[]): Promise<TestEngine> {
  // Short paths: containerd's socket paths must stay under the 108-byte limit.
  const dir = mkdtempSync('/tmp/dde-');
  const socket = path.join(dir, 'docker.sock');
  const host = `unix://${socket}`;
  const child = spawn(
    'dockerd',
    [
      '--host', host,
      '--data-root', path.join(dir, 'data'),
      '--exec-root', path.join(dir, 'exec'),
      '--pidfile', path.join(dir, 'docker.pid'),
      '--bridge=none',
      '--iptables=false',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });

  const docker = (args: string[]) => execFileSync('docker', args, { env: { ...process.env, DOCKER_HOST: host }, encoding: 'utf8', stdio: 'pipe' });
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`second dockerd exited with ${child.exitCode}: ${stderr}`);
    try {
      docker(['version']);
      break;
    } catch {
      if (Date.now() > deadline) {
        child.kill('SIGTERM');
        throw new Error(`second dockerd did not respond on ${host} within ${START_TIMEOUT_MS} ms: ${stderr}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }

  for (const image of baseImages) {
    execFileSync('bash', [path.join(PROJECT_ROOT, 'scripts', 'seed-busybox.sh'), image], { env: { ...process.env, DOCKER_HOST: host }, stdio: 'pipe' });
  }

  return {
    host,
    process: child,
    docker,
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await new Promise((resolve) => child.once('exit', resolve));
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
