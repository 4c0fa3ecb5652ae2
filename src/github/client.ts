import { Octokit } from '@octokit/rest';
import type { DrydockEnv } from '../config/env.js';
import { ConfigError } from '../errors.js';
import type { Logger } from '../logger.js';

/** GitHub's public REST API; GitHub Enterprise Server serves it at https://<host>/api/v3. */
export const DEFAULT_GITHUB_API_URL = 'https://api.github.com';

/** The GitHub API address, web address and token drydock uses. */
export interface GitHubConnection {
  apiUrl: string;
  /** The web address that issue and compare links use, such as https://github.com. */
  webUrl: string;
  token: string;
}

/**
 * Reads the GitHub connection from the environment: `GITHUB_TOKEN` (required)
 * and `GITHUB_API_URL` (default https://api.github.com). Throws a
 * `ConfigError` that names the variable to set.
 */
export function readGitHubConnection(env: Pick<DrydockEnv, 'githubToken' | 'githubApiUrl'>): GitHubConnection {
  if (env.githubToken === undefined) {
    throw new ConfigError('GITHUB_TOKEN is not set, so drydock cannot file or update GitHub issues', {
      fix: 'set GITHUB_TOKEN (in the environment or .env) to a token that may write issues in github.repo; the failure stays recorded and is filed on the next run or with drydock triage --file-issue',
    });
  }

  const apiUrl = (env.githubApiUrl ?? DEFAULT_GITHUB_API_URL).replace(/\/+$/, '');
  let parsed: URL;
  try {
    parsed = new URL(apiUrl);
  } catch {
    throw new ConfigError(`GITHUB_API_URL = ${JSON.stringify(env.githubApiUrl)} is not a URL`, {
      fix: 'set GITHUB_API_URL to https://api.github.com, or to https://<host>/api/v3 for GitHub Enterprise Server',
    });
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
    throw new ConfigError(`GITHUB_API_URL = ${JSON.stringify(env.githubApiUrl)} is not an http:// or https:// URL`, {
      fix: 'set GITHUB_API_URL to https://api.github.com, or to https://<host>/api/v3 for GitHub Enterprise Server',
    });
  }
  return { apiUrl, webUrl: findWebUrl(parsed), token: env.githubToken };
}

/** Returns the web address that goes with an API address: github.com for api.github.com, the host for Enterprise's /api/v3. */
export function findWebUrl(apiUrl: URL): string {
  if (apiUrl.hostname === 'api.github.com') return 'https://github.com';
  const path = apiUrl.pathname.replace(/\/+$/, '').replace(/\/api\/v3$/, '');
  return `${apiUrl.origin}${path}`;
}

/** Time allowed for one GitHub request; a request that takes longer counts as no response and is retried. */
export const GITHUB_REQUEST_TIMEOUT_MS = 30_000;

/** Creates the Octokit client. Retries are drydock's own (see `withGitHubRetry`), so a failed create is checked before it is sent again. */
export function createOctokit(connection: GitHubConnection, logger: Logger): Octokit {
  return new Octokit({
    auth: connection.token,
    baseUrl: connection.apiUrl,
    userAgent: 'drydock',
    request: {
      fetch: (input: string | URL | Request, init?: RequestInit) =>
        fetch(input, { ...init, signal: AbortSignal.any([AbortSignal.timeout(GITHUB_REQUEST_TIMEOUT_MS), ...(init?.signal ? [init.signal] : [])]) }),
    },
    log: {
      debug: (message: string) => logger.debug({ github: connection.apiUrl }, message),
      info: (message: string) => logger.debug({ github: connection.apiUrl }, message),
      warn: (message: string) => logger.warn({ github: connection.apiUrl }, message),
      error: (message: string) => logger.error({ github: connection.apiUrl }, message),
    },
  });
}
