import { execFileSync } from 'node:child_process';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { PROJECT_ROOT } from '../helpers/cli.js';
import { BUSYBOX_IMAGE } from '../helpers/images.js';

/**
 * Checks that a Docker engine answers and seeds the busybox base image that
 * fixture Dockerfiles build FROM, once per test run.
 */
export default function setup(_project: TestProject): void {
  try {
    execFileSync('docker', ['version', '--format', '{{.Server.Version}}'], { stdio: 'pipe', timeout: 15_000 });
  } catch (error) {
    throw new Error(
      `No Docker engine answers at ${process.env.DOCKER_HOST ?? 'unix:///var/run/docker.sock'}: ${(error as Error).message}\n` +
        'Run bash scripts/test-env.sh (it installs and starts one), or use npm test, which runs it.',
    );
  }
  execFileSync('bash', [path.join(PROJECT_ROOT, 'scripts', 'seed-busybox.sh'), BUSYBOX_IMAGE], { stdio: 'inherit' });
}
