import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { simpleGit, type SimpleGit } from 'simple-git';
import { ConfigError, ExternalHostError } from '../errors.js';
import type { Logger } from '../logger.js';
import { validateRef } from './ref.js';

/** The commit a run builds from. */
export interface SourceCommit {
  hash: string;
  shortHash: string;
  subject: string;
  author: string;
  /** Commit time, ISO 8601. */
  committedAt: string;
  /** The checkout on disk. */
  dir: string;
  /** The repository URL or path, for the image's source label. */
  repo: string;
}

const FIELD_SEPARATOR = '\x1f';

/**
 * Brings the checkout in `<stateDir>/source` to `ref`: clones the repository
 * the first time, then fetches and hard-resets on every later run, so local
 * edits in the checkout never leak into a build.
 */
export async function fetchSources(
  options: { repo: string; ref: string | undefined; stateDir: string },
  logger: Logger,
): Promise<SourceCommit> {
  const { repo, ref } = options;
  if (repo.startsWith('-')) {
    throw new ConfigError(`source.repo = ${JSON.stringify(repo)} is not a repository: it starts with "-"`, {
      fix: 'set source.repo (or --repo) to a git URL or a local path',
    });
  }
  if (ref !== undefined) validateRef(ref);

  const dir = path.join(options.stateDir, 'source');
  mkdirSync(options.stateDir, { recursive: true });

  try {
    if (!existsSync(path.join(dir, '.git'))) {
      logger.info({ repo, dir }, 'cloning sources');
      await simpleGit().clone(repo, dir, ['--no-checkout']);
    }
    const git = simpleGit(dir);
    await git.remote(['set-url', 'origin', repo]);
    logger.info({ repo, ref: ref ?? '(default branch)' }, 'fetching sources');
    await git.fetch(['--prune', '--tags', '--force', 'origin']);
    // Only the default branch is read through origin/HEAD, and updating it contacts the remote again.
    if (ref === undefined) await git.remote(['set-head', 'origin', '--auto']);

    const commit = await resolveCommit(git, ref, repo);
    await git.reset(['--hard', commit]);
    await git.raw(['clean', '-ffdx']);
    return await describeHead(git, dir, repo);
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw new ExternalHostError(repo, `failed to fetch sources from ${repo}: ${firstLine(error)}`, {
      fix: 'check source.repo (or --repo): the repository must exist and be readable without a password prompt',
      cause: error,
    });
  }
}

async function resolveCommit(git: SimpleGit, ref: string | undefined, repo: string): Promise<string> {
  const candidates = ref === undefined ? ['origin/HEAD'] : [`origin/${ref}`, `refs/tags/${ref}`, ref];
  for (const candidate of candidates) {
    const hash = (await git.raw(['rev-parse', '--verify', '--quiet', '--end-of-options', `${candidate}^{commit}`]).catch(() => '')).trim();
    if (hash) return hash;
  }
  throw new ConfigError(`source.ref = ${JSON.stringify(ref ?? 'HEAD')} was not found in ${repo}`, {
    fix: 'set source.ref (or --ref) to a branch, tag or commit that exists in the repository',
  });
}

async function describeHead(git: SimpleGit, dir: string, repo: string): Promise<SourceCommit> {
  const format = ['%H', '%h', '%s', '%an <%ae>', '%cI'].join(FIELD_SEPARATOR);
  const line = await git.raw(['log', '-1', `--format=${format}`, 'HEAD']);
  const [hash = '', shortHash = '', subject = '', author = '', committedAt = ''] = line.trim().split(FIELD_SEPARATOR);
  return { hash, shortHash, subject, author, committedAt, dir, repo };
}

function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const lines = message.trim().split('\n').map((line) => line.trim());
  // git prints progress such as "Cloning into ..." before the line that says what failed.
  return lines.find((line) => /^(fatal|error):/.test(line)) ?? lines[0] ?? message;
}
