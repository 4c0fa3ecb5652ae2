import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runCli, type CliResult } from '../test/helpers/cli.js';

/** A folder holding a drydock.yml, for running the real command in it. */
export function createWorkspace(config: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'drydock-bench-'));
  writeFileSync(path.join(dir, 'drydock.yml'), config);
  return dir;
}

/** Runs `drydock rebuild` in `workspace` and throws unless every image succeeded. */
export async function rebuildOrThrow(workspace: string): Promise<CliResult> {
  const result = await runCli(['rebuild'], { cwd: workspace });
  if (result.code !== 0) throw new Error(`drydock rebuild failed in the benchmark (exit ${result.code}): ${result.stderr.slice(-2000)}`);
  return result;
}

/** Runs the docker client with the classic builder, which drydock also drives, and throws on failure. */
export function dockerCli(args: string[], env: NodeJS.ProcessEnv = {}): void {
  execFileSync('docker', args, { stdio: 'ignore', env: { ...process.env, DOCKER_BUILDKIT: '0', ...env } });
}

/** Runs a shell command line and throws unless it exits with 0. */
export function shell(command: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('sh', ['-c', command], { env: { ...process.env, DOCKER_BUILDKIT: '0' }, stdio: 'ignore' });
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${command} exited with ${code}`))));
  });
}
