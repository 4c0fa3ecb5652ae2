import { z } from 'zod';
import type { DrydockEnv } from '../config/env.js';
import type { Settings } from '../config/load-config.js';
import { ConfigError, DrydockError } from '../errors.js';
import { createOctokit, readGitHubConnection } from '../github/client.js';
import { DEFAULT_RETRY_POLICY, statusOf, withGitHubRetry, type RetryPolicy } from '../github/retry.js';
import type { Logger } from '../logger.js';
import { bumpTag, changedLines, compileBumpPattern, type LineChange } from './bump-file.js';

const GitHubRepository = z.object({ default_branch: z.string().min(1) });
const GitHubRef = z.object({ object: z.object({ sha: z.string().min(1) }) });
const GitHubFile = z.object({ type: z.literal('file'), sha: z.string().min(1), content: z.string(), encoding: z.literal('base64') });
const GitHubPullRequest = z.object({ number: z.number().int().positive(), html_url: z.string(), state: z.string() });
const GitHubPullRequestList = z.array(GitHubPullRequest);

export interface BumpRequest {
  image: string;
  /** The production repository as the project's files name it, such as tlcpack/ci-cpu. */
  productionRepository: string;
  tag: string;
  digest: string;
  requestedBy: string;
}

export interface BumpOutcome {
  /** `opened` for a new pull request, `updated` for a new commit on the open one, `unchanged` when the file already had the tag. */
  action: 'opened' | 'updated' | 'unchanged';
  number: number;
  url: string;
  /** Every line the pull request changes, against its base branch. */
  changes: LineChange[];
}

/**
 * Opens a pull request that bumps the promoted tag in the file the
 * project's CI reads (`promote.pullRequest`), or adds a commit to the open
 * one from the same branch, so at most one bump pull request is open.
 * When no pull request is open, the branch is reset to the base first, so a
 * branch left from a closed pull request cannot bring old changes back.
 */
export async function openBumpPullRequest(
  context: { settings: Settings; env: DrydockEnv; logger: Logger; retry?: RetryPolicy },
  request: BumpRequest,
): Promise<BumpOutcome> {
  const config = context.settings.promote.pullRequest;
  if (!config) throw new ConfigError('promote.pullRequest is not configured', { fix: 'set promote.pullRequest.path in drydock.yml' });
  const repoName = config.repo ?? context.settings.github?.repo;
  if (!repoName) {
    throw new ConfigError('the tag-bump pull request has no repository', { fix: 'set promote.pullRequest.repo or github.repo in drydock.yml to owner/name' });
  }
  const [owner, repo] = repoName.split('/') as [string, string];
  const connection = readGitHubConnection(context.env);
  const octokit = createOctokit(connection, context.logger);
  const read = <T>(action: string, operation: () => Promise<T>) =>
    withGitHubRetry(action, operation, { host: connection.apiUrl, policy: context.retry ?? DEFAULT_RETRY_POLICY, logger: context.logger });

  const base = config.base ?? GitHubRepository.parse((await read(`read ${repoName}`, () => octokit.rest.repos.get({ owner, repo }))).data).default_branch;
  const open = GitHubPullRequestList.parse(
    (await read('list open pull requests', () => octokit.rest.pulls.list({ owner, repo, state: 'open', head: `${owner}:${config.branch}`, base, per_page: 10 }))).data,
  );
  const existing = open[0];

  const readFile = async (ref: string) => {
    try {
      const file = GitHubFile.parse((await read(`read ${config.path}`, () => octokit.rest.repos.getContent({ owner, repo, path: config.path, ref }))).data);
      return { sha: file.sha, text: Buffer.from(file.content, 'base64').toString('utf8') };
    } catch (error) {
      if (statusOf(error) === 404) {
        throw new ConfigError(`${repoName} has no file ${config.path} on ${ref}`, { fix: 'set promote.pullRequest.path to the file that names the CI image tags' });
      }
      throw error;
    }
  };

  if (!existing) await resetBranch(octokit, read, { owner, repo, base, branch: config.branch });
  const baseFile = await readFile(base);
  const branchFile = existing ? await readFile(config.branch) : baseFile;

  const pattern = compileBumpPattern(config.pattern, request.image, request.productionRepository);
  const bumped = bumpTag(branchFile.text, pattern, request.tag);
  if (!bumped) {
    throw new DrydockError(`no line of ${config.path} in ${repoName} matches promote.pullRequest.pattern for ${request.image} (${pattern.source})`, {
      fix: `check that ${config.path} names ${request.productionRepository}, or set promote.pullRequest.pattern to a regular expression that finds its tag`,
    });
  }

  const changed = bumped.text !== branchFile.text;
  if (changed) {
    await octokit.rest.repos.createOrUpdateFileContents({
      owner,
      repo,
      path: config.path,
      branch: config.branch,
      sha: branchFile.sha,
      message: `Bump ${request.image} to ${request.tag}\n\nPromoted by ${request.requestedBy} with drydock; digest ${request.digest}.`,
      content: Buffer.from(bumped.text, 'utf8').toString('base64'),
    });
  }

  const changes = changedLines(baseFile.text, bumped.text);
  const title = changes.length === 1 ? `Bump ${request.image} to ${request.tag}` : `Bump ${changes.length} CI image tags`;
  const body = renderBody(config.path, changes);
  if (existing) {
    if (changed) await octokit.rest.pulls.update({ owner, repo, pull_number: existing.number, title, body });
    context.logger.info({ pullRequest: existing.number, image: request.image, changed }, 'tag-bump pull request updated');
    return { action: changed ? 'updated' : 'unchanged', number: existing.number, url: existing.html_url, changes };
  }

  const created = GitHubPullRequest.parse((await octokit.rest.pulls.create({ owner, repo, head: config.branch, base, title, body })).data);
  context.logger.info({ pullRequest: created.number, image: request.image }, 'tag-bump pull request opened');
  return { action: 'opened', number: created.number, url: created.html_url, changes };
}

type Read = <T>(action: string, operation: () => Promise<T>) => Promise<T>;

/** Points `branch` at the head of `base`, creating it when it does not exist. */
async function resetBranch(octokit: ReturnType<typeof createOctokit>, read: Read, where: { owner: string; repo: string; base: string; branch: string }): Promise<void> {
  const { owner, repo, base, branch } = where;
  const baseSha = GitHubRef.parse((await read(`read branch ${base}`, () => octokit.rest.git.getRef({ owner, repo, ref: `heads/${base}` }))).data).object.sha;
  try {
    await read(`read branch ${branch}`, () => octokit.rest.git.getRef({ owner, repo, ref: `heads/${branch}` }));
  } catch (error) {
    if (statusOf(error) !== 404) throw error;
    await octokit.rest.git.createRef({ owner, repo, ref: `refs/heads/${branch}`, sha: baseSha });
    return;
  }
  await octokit.rest.git.updateRef({ owner, repo, ref: `heads/${branch}`, sha: baseSha, force: true });
}

function renderBody(file: string, changes: LineChange[]): string {
  const lines = changes.flatMap((change) => [`- line ${change.line}:`, '  ```diff', `  - ${change.before}`, `  + ${change.after}`, '  ```']);
  return [
    `This pull request moves the CI to image tags that drydock promoted to production after they were built and validated.`,
    '',
    `Changes to \`${file}\`:`,
    '',
    ...lines,
    '',
    'drydock updates this pull request with each promotion while it is open.',
  ].join('\n');
}
