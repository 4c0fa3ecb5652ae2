import { existsSync, mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { simpleGit } from 'simple-git';
import { ConfigError } from '../errors.js';
import type { Logger } from '../logger.js';

/**
 * Checks out `commit` into a new linked worktree at `dir`, next to the
 * rebuild's checkout in `<state>/source`, whose files stay untouched. Fetches
 * the commit from origin when the clone no longer has it.
 */
export async function addWorktree(stateDir: string, commit: string, dir: string, logger: Logger): Promise<void> {
  const sourceDir = path.join(stateDir, 'source');
  if (!existsSync(path.join(sourceDir, '.git'))) {
    throw new ConfigError(`no clone of the sources in ${sourceDir}, so commit ${commit} cannot be checked out`, {
      fix: 'run drydock rebuild with this --state-dir first',
    });
  }
  if (!/^[0-9a-f]{7,64}$/.test(commit)) {
    throw new ConfigError(`invalid commit ${JSON.stringify(commit)} recorded for the build: not a commit hash`, {
      fix: 'validate another rebuild run with --run',
    });
  }

  const git = simpleGit(sourceDir);
  const known = await git.raw(['cat-file', '-e', `${commit}^{commit}`]).then(() => true, () => false);
  if (!known) {
    logger.info({ commit }, 'fetching the built commit for validation');
    await git.fetch(['origin', commit]);
  }

  mkdirSync(path.dirname(dir), { recursive: true });
  await git.raw(['worktree', 'add', '--detach', '--force', dir, commit]);
}

/** Removes a worktree made by `addWorktree`, with the files the tests wrote into it. */
export async function removeWorktree(stateDir: string, dir: string, logger: Logger): Promise<void> {
  try {
    rmSync(dir, { recursive: true, force: true });
    await simpleGit(path.join(stateDir, 'source')).raw(['worktree', 'prune']);
  } catch (error) {
    // NOTE: containers that run as root leave root-owned files, which a drydock without root cannot delete.
    logger.warn({ err: error, dir }, 'failed to remove a validation worktree');
  }
}
