import { isLocalPath } from '../config/load-config.js';

export type LogKind = 'build' | 'validate';
export const LOG_KINDS: readonly LogKind[] = ['build', 'validate'];

/**
 * Builds the dashboard's links. Pages use paths under the base path of
 * `publicUrl` (so the dashboard works behind a proxy that serves it under a
 * folder); anything posted elsewhere uses the absolute form.
 */
export class DashboardLinks {
  /** The public URL without a trailing slash, such as https://ci.example.org/drydock. */
  readonly publicUrl: string;
  /** The path part of the public URL without a trailing slash; empty at the root. */
  readonly basePath: string;
  private readonly defaultRepo: string | null;
  private readonly webRepos = new Map<string, string | null>();

  /** `defaultRepo` is the configured source, for runs that recorded no repository. */
  constructor(publicUrl: string, defaultRepo: string | null) {
    const url = new URL(publicUrl);
    this.basePath = url.pathname.replace(/\/+$/, '');
    this.publicUrl = `${url.origin}${this.basePath}`;
    this.defaultRepo = defaultRepo;
  }

  home(days?: number): string {
    return this.path(days === undefined ? '/' : `/?days=${days}`);
  }

  run(id: string): string {
    return this.path(`/runs/${encodeURIComponent(id)}`);
  }

  log(runId: string, image: string, kind: LogKind): string {
    return this.path(`/runs/${encodeURIComponent(runId)}/logs/${encodeURIComponent(image)}/${kind}`);
  }

  image(name: string): string {
    return this.path(`/images/${encodeURIComponent(name)}`);
  }

  badge(name: string): string {
    return this.path(`/badge/${encodeURIComponent(name)}.svg`);
  }

  matrixPng(days: number): string {
    return this.path(`/matrix.png?days=${days}`);
  }

  /** Returns a path under the base path, such as /drydock/runs/x for /runs/x. */
  path(pathAndQuery: string): string {
    return `${this.basePath}${pathAndQuery}`;
  }

  /** Returns the absolute form of a dashboard path, for links posted to Discord or GitHub. */
  absolute(pathAndQuery: string): string {
    return `${this.publicUrl}${pathAndQuery.slice(this.basePath.length)}`;
  }

  /** Returns the web page of a commit of `repo`, or null when the repository is a local path or its web address is unknown. */
  commit(repo: string | null, hash: string): string | null {
    const webRepo = this.findWebRepo(repo);
    return webRepo === null ? null : `${webRepo}/commit/${encodeURIComponent(hash)}`;
  }

  /** Returns the web page comparing two commits (GitHub and Gitea form), or null as for `commit`. */
  compare(repo: string | null, from: string, to: string): string | null {
    const webRepo = this.findWebRepo(repo);
    return webRepo === null ? null : `${webRepo}/compare/${encodeURIComponent(from)}...${encodeURIComponent(to)}`;
  }

  private findWebRepo(repo: string | null): string | null {
    const source = repo ?? this.defaultRepo;
    if (source === null) return null;
    if (!this.webRepos.has(source)) this.webRepos.set(source, findWebRepo(source));
    return this.webRepos.get(source)!;
  }
}

/**
 * The https address of a repository's web pages, from its git URL:
 * `https://host/owner/repo(.git)`, `ssh://git@host/owner/repo(.git)` or
 * `git@host:owner/repo(.git)`. Local paths and other schemes have none.
 */
export function findWebRepo(repo: string): string | null {
  if (isLocalPath(repo)) return null;

  const scpLike = /^[^/@]+@([^/:]+):(.+)$/.exec(repo);
  if (scpLike) return `https://${scpLike[1]}/${trimGitSuffix(scpLike[2]!)}`;

  let url: URL;
  try {
    url = new URL(repo);
  } catch {
    return null;
  }
  if (!['https:', 'http:', 'ssh:', 'git:'].includes(url.protocol)) return null;
  const protocol = url.protocol === 'http:' ? 'http:' : 'https:';
  const host = url.protocol === 'ssh:' || url.protocol === 'git:' ? url.hostname : url.host;
  const repoPath = trimGitSuffix(url.pathname.replace(/^\/+/, ''));
  return repoPath === '' ? null : `${protocol}//${host}/${repoPath}`;
}

function trimGitSuffix(repoPath: string): string {
  return repoPath.replace(/\/+$/, '').replace(/\.git$/, '');
}
