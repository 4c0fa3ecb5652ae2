import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** A minimal Debian bookworm made by debootstrap and imported into the engine. */
export const DEBIAN_BASE_IMAGE = 'drydock-test/debian:bookworm';

const DEBIAN_MIRROR = 'http://deb.debian.org/debian';
const LOCK_POLL_MS = 1_000;
const MAX_WAIT_MS = 15 * 60_000;

/**
 * Ensures the Debian base image exists, creating it at most once per engine:
 * the first caller takes a lock file and runs debootstrap, the others wait
 * for the image. A lock whose process has exited is taken over.
 */
export async function ensureDebianBase(tag = DEBIAN_BASE_IMAGE): Promise<string> {
  const lockPath = path.join(tmpdir(), `drydock-debian-base-${tag.replace(/[^a-z0-9]+/gi, '_')}.lock`);
  const deadline = Date.now() + MAX_WAIT_MS;

  while (!imageExists(tag)) {
    if (Date.now() > deadline) throw new Error(`${tag} was not created within ${MAX_WAIT_MS / 60_000} minutes; see ${lockPath}`);
    if (tryLock(lockPath)) {
      try {
        if (!imageExists(tag)) createDebianBase(tag);
      } finally {
        unlinkSync(lockPath);
      }
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, LOCK_POLL_MS));
  }
  return tag;
}

function imageExists(tag: string): boolean {
  try {
    execFileSync('docker', ['image', 'inspect', tag], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function tryLock(lockPath: string): boolean {
  try {
    const fd = openSync(lockPath, 'wx');
    writeFileSync(fd, String(process.pid));
    closeSync(fd);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }

  const owner = Number(readFileSync(lockPath, 'utf8').trim());
  if (Number.isInteger(owner) && owner > 0 && isAlive(owner)) return false;
  // The process that held the lock is gone, so its debootstrap never finished.
  rmSync(lockPath, { force: true });
  return false;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function createDebianBase(tag: string): void {
  const root = mkdtempSync(path.join(tmpdir(), 'drydock-debootstrap-'));
  try {
    execFileSync('debootstrap', ['--variant=minbase', 'bookworm', root, DEBIAN_MIRROR], { stdio: 'pipe', maxBuffer: 64 * 1024 * 1024 });
    execFileSync('bash', ['-c', 'tar -C "$0" -c . | docker import -c "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" - "$1"', root, tag], {
      stdio: 'pipe',
      maxBuffer: 64 * 1024 * 1024,
    });
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
