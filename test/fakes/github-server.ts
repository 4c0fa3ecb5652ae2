import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request the fake received, as the test reads it back. */
export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  body: unknown;
  authorization: string | undefined;
  /** The status of the fake's response. */
  status: number;
}

export interface FakeIssue {
  number: number;
  title: string;
  body: string;
  state: 'open' | 'closed';
  labels: string[];
  created_at: string;
  closed_at: string | null;
  comments: { id: number; body: string; created_at: string }[];
}

/** An error response the fake sends instead of the real one, for the next matching requests. */
export interface InjectedFault {
  method: string;
  path: RegExp;
  status: number;
  /** How many matching requests get the error. */
  times?: number;
  /** Seconds for the `retry-after` header. */
  retryAfter?: number;
  /** Carry out the request before sending the error, as a gateway that times out after GitHub stored the change. */
  applyFirst?: boolean;
}

/** A pull request of the fake repository. */
export interface FakePullRequest {
  number: number;
  title: string;
  body: string;
  head: string;
  base: string;
  state: 'open' | 'closed';
}

/** The fake repository's git data: branches, each pointing to a commit, and each commit's files. */
export interface FakeGitData {
  defaultBranch: string;
  branches: Map<string, string>;
  commits: Map<string, Map<string, string>>;
}

export interface FakeGitHub {
  /** The API base URL, such as http://127.0.0.1:41234. */
  url: string;
  token: string;
  repo: string;
  requests: RecordedRequest[];
  /** Requests that matched no route of the fake. */
  unexpected: RecordedRequest[];
  issues: FakeIssue[];
  failNext(fault: InjectedFault): void;
  /** Adds an issue as if someone filed it earlier. */
  addIssue(fields: Partial<FakeIssue> & Pick<FakeIssue, 'title' | 'body'>): FakeIssue;
  pulls: FakePullRequest[];
  git: FakeGitData;
  /** Commits `files` on `branch` (created from nothing when new) and returns the commit's sha. */
  commitFiles(branch: string, files: Record<string, string>): string;
  /** The text of a file on a branch, or undefined. */
  readFile(branch: string, file: string): string | undefined;
  /** Throws when a request matched no route or an injected fault was never used. */
  verify(): void;
  stop(): Promise<void>;
}

/** Issues the list endpoint returns per page when the request names no size. */
const DEFAULT_PAGE_SIZE = 30;

/**
 * Starts a strict fake of the GitHub REST routes drydock uses, on a free
 * port of 127.0.0.1: list, read, create and update issues of one
 * repository, and list and create their comments; read the repository, list,
 * open and update pull requests, read, create and force-move branches, and
 * read and commit files. It checks the token,
 * records every request, answers any other request with 404 and lists it
 * in `unexpected`, and answers injected 5xx and 429 errors on demand.
 */
export async function startFakeGitHub(options: { repo?: string; token?: string } = {}): Promise<FakeGitHub> {
  const repo = options.repo ?? 'octo-org/ci-images';
  const token = options.token ?? 'ghp_faketoken0123456789';
  const requests: RecordedRequest[] = [];
  const unexpected: RecordedRequest[] = [];
  const issues: FakeIssue[] = [];
  const faults: (InjectedFault & { remaining: number })[] = [];
  let nextCommentId = 1000;
  let url = '';
  const pulls: FakePullRequest[] = [];
  const git: FakeGitData = { defaultBranch: 'main', branches: new Map(), commits: new Map() };
  let commitCounter = 0;
  const storeCommit = (files: Map<string, string>) => {
    const sha = createHash('sha1').update(`commit ${++commitCounter}`).digest('hex');
    git.commits.set(sha, files);
    return sha;
  };
  const filesOf = (branch: string) => {
    const sha = git.branches.get(branch);
    return sha === undefined ? undefined : git.commits.get(sha);
  };
  const commitFiles: FakeGitHub['commitFiles'] = (branch, files) => {
    const next = new Map(filesOf(branch) ?? []);
    for (const [name, text] of Object.entries(files)) next.set(name, text);
    const sha = storeCommit(next);
    git.branches.set(branch, sha);
    return sha;
  };
  const pullJson = (pull: FakePullRequest) => ({
    number: pull.number,
    id: 700_000 + pull.number,
    html_url: `${url}/${repo}/pull/${pull.number}`,
    title: pull.title,
    body: pull.body,
    state: pull.state,
    head: { ref: pull.head, label: `${repo.split('/')[0]}:${pull.head}` },
    base: { ref: pull.base },
  });

  const issueJson = (issue: FakeIssue) => ({
    number: issue.number,
    id: 500_000 + issue.number,
    node_id: `I_${issue.number}`,
    html_url: `${url}/${repo}/issues/${issue.number}`,
    url: `${url}/repos/${repo}/issues/${issue.number}`,
    title: issue.title,
    body: issue.body,
    state: issue.state,
    labels: issue.labels.map((name, index) => ({ id: index + 1, name })),
    comments: issue.comments.length,
    created_at: issue.created_at,
    updated_at: issue.closed_at ?? issue.created_at,
    closed_at: issue.closed_at,
  });
  const commentJson = (issue: FakeIssue, comment: FakeIssue['comments'][number]) => ({
    id: comment.id,
    html_url: `${url}/${repo}/issues/${issue.number}#issuecomment-${comment.id}`,
    body: comment.body,
    created_at: comment.created_at,
  });

  const addIssue: FakeGitHub['addIssue'] = (fields) => {
    const issue: FakeIssue = {
      number: issues.length + 1,
      state: 'open',
      labels: [],
      created_at: new Date().toISOString(),
      closed_at: null,
      comments: [],
      ...fields,
    };
    issues.push(issue);
    return issue;
  };

  type Handler = (match: RegExpExecArray, query: Record<string, string>, body: Record<string, unknown>) => [number, unknown];
  const repoPath = `/repos/${repo}`;
  const issueByNumber = (match: RegExpExecArray) => issues.find((issue) => issue.number === Number(match[1]));
  const routes: [string, RegExp, Handler][] = [
    [
      'GET',
      new RegExp(`^${repoPath}/issues$`),
      (_match, query) => {
        const labels = (query.labels ?? '').split(',').filter(Boolean);
        const state = query.state ?? 'open';
        const pageSize = Number(query.per_page ?? DEFAULT_PAGE_SIZE);
        const page = Number(query.page ?? 1);
        const matching = issues
          .filter((issue) => state === 'all' || issue.state === state)
          .filter((issue) => labels.every((label) => issue.labels.includes(label)))
          .sort((a, b) => b.number - a.number);
        return [200, matching.slice((page - 1) * pageSize, page * pageSize).map(issueJson)];
      },
    ],
    [
      'POST',
      new RegExp(`^${repoPath}/issues$`),
      (_match, _query, body) => {
        if (typeof body.title !== 'string' || body.title === '') return [422, { message: 'Validation Failed', errors: [{ field: 'title', code: 'missing_field' }] }];
        const issue = addIssue({ title: body.title, body: String(body.body ?? ''), labels: (body.labels as string[] | undefined) ?? [] });
        return [201, issueJson(issue)];
      },
    ],
    [
      'GET',
      new RegExp(`^${repoPath}/issues/(\\d+)$`),
      (match) => {
        const issue = issueByNumber(match);
        return issue ? [200, issueJson(issue)] : [404, { message: 'Not Found' }];
      },
    ],
    [
      'PATCH',
      new RegExp(`^${repoPath}/issues/(\\d+)$`),
      (match, _query, body) => {
        const issue = issueByNumber(match);
        if (!issue) return [404, { message: 'Not Found' }];
        if (body.state === 'open') Object.assign(issue, { state: 'open', closed_at: null });
        if (body.state === 'closed') Object.assign(issue, { state: 'closed', closed_at: new Date().toISOString() });
        return [200, issueJson(issue)];
      },
    ],
    [
      'GET',
      new RegExp(`^${repoPath}/issues/(\\d+)/comments$`),
      (match) => {
        const issue = issueByNumber(match);
        return issue ? [200, issue.comments.map((comment) => commentJson(issue, comment))] : [404, { message: 'Not Found' }];
      },
    ],
    [
      'POST',
      new RegExp(`^${repoPath}/issues/(\\d+)/comments$`),
      (match, _query, body) => {
        const issue = issueByNumber(match);
        if (!issue) return [404, { message: 'Not Found' }];
        const comment = { id: nextCommentId++, body: String(body.body ?? ''), created_at: new Date().toISOString() };
        issue.comments.push(comment);
        return [201, commentJson(issue, comment)];
      },
    ],
    [
      'GET',
      new RegExp(`^${repoPath}$`),
      () => [200, { full_name: repo, default_branch: git.defaultBranch }],
    ],
    [
      'GET',
      new RegExp(`^${repoPath}/pulls$`),
      (_match, query) => {
        const state = query.state ?? 'open';
        const head = query.head?.includes(':') ? query.head.slice(query.head.indexOf(':') + 1) : query.head;
        const matching = pulls
          .filter((pull) => state === 'all' || pull.state === state)
          .filter((pull) => head === undefined || pull.head === head)
          .filter((pull) => query.base === undefined || pull.base === query.base);
        return [200, matching.map(pullJson)];
      },
    ],
    [
      'POST',
      new RegExp(`^${repoPath}/pulls$`),
      (_match, _query, body) => {
        const head = String(body.head ?? '');
        const base = String(body.base ?? '');
        if (!git.branches.has(head) || !git.branches.has(base)) return [422, { message: 'Validation Failed', errors: [{ resource: 'PullRequest', field: 'head', code: 'invalid' }] }];
        if (pulls.some((pull) => pull.state === 'open' && pull.head === head && pull.base === base)) {
          return [422, { message: 'Validation Failed', errors: [{ resource: 'PullRequest', code: 'custom', message: `A pull request already exists for ${head}.` }] }];
        }
        const pull: FakePullRequest = { number: issues.length + pulls.length + 1, title: String(body.title ?? ''), body: String(body.body ?? ''), head, base, state: 'open' };
        pulls.push(pull);
        return [201, pullJson(pull)];
      },
    ],
    [
      'PATCH',
      new RegExp(`^${repoPath}/pulls/(\\d+)$`),
      (match, _query, body) => {
        const pull = pulls.find((entry) => entry.number === Number(match[1]));
        if (!pull) return [404, { message: 'Not Found' }];
        if (typeof body.title === 'string') pull.title = body.title;
        if (typeof body.body === 'string') pull.body = body.body;
        if (body.state === 'open' || body.state === 'closed') pull.state = body.state;
        return [200, pullJson(pull)];
      },
    ],
    [
      'GET',
      new RegExp(`^${repoPath}/git/ref/heads/(.+)$`),
      (match) => {
        const sha = git.branches.get(match[1]!);
        return sha ? [200, { ref: `refs/heads/${match[1]}`, object: { sha, type: 'commit' } }] : [404, { message: 'Not Found' }];
      },
    ],
    [
      'POST',
      new RegExp(`^${repoPath}/git/refs$`),
      (_match, _query, body) => {
        const name = String(body.ref ?? '').replace(/^refs\/heads\//, '');
        const sha = String(body.sha ?? '');
        if (git.branches.has(name)) return [422, { message: 'Reference already exists' }];
        if (!git.commits.has(sha)) return [422, { message: 'Object does not exist' }];
        git.branches.set(name, sha);
        return [201, { ref: `refs/heads/${name}`, object: { sha, type: 'commit' } }];
      },
    ],
    [
      'PATCH',
      new RegExp(`^${repoPath}/git/refs/heads/(.+)$`),
      (match, _query, body) => {
        const name = match[1]!;
        const sha = String(body.sha ?? '');
        if (!git.branches.has(name)) return [422, { message: 'Reference does not exist' }];
        if (!git.commits.has(sha)) return [422, { message: 'Object does not exist' }];
        if (body.force !== true) return [422, { message: 'Update is not a fast forward' }];
        git.branches.set(name, sha);
        return [200, { ref: `refs/heads/${name}`, object: { sha, type: 'commit' } }];
      },
    ],
    [
      'GET',
      new RegExp(`^${repoPath}/contents/(.+)$`),
      (match, query) => {
        const branch = query.ref ?? git.defaultBranch;
        const text = filesOf(branch)?.get(match[1]!);
        if (text === undefined) return [404, { message: 'Not Found' }];
        return [200, { type: 'file', path: match[1], sha: blobSha(text), encoding: 'base64', content: Buffer.from(text).toString('base64') }];
      },
    ],
    [
      'PUT',
      new RegExp(`^${repoPath}/contents/(.+)$`),
      (match, _query, body) => {
        const branch = String(body.branch ?? git.defaultBranch);
        const files = filesOf(branch);
        if (!files) return [404, { message: 'Branch not found' }];
        const current = files.get(match[1]!);
        if (current !== undefined && body.sha !== blobSha(current)) return [409, { message: `${match[1]} does not match ${String(body.sha)}` }];
        if (current === undefined && body.sha !== undefined) return [422, { message: 'sha was given for a new file' }];
        const text = Buffer.from(String(body.content ?? ''), 'base64').toString('utf8');
        const sha = commitFiles(branch, { [match[1]!]: text });
        return [current === undefined ? 201 : 200, { content: { path: match[1], sha: blobSha(text) }, commit: { sha, message: body.message } }];
      },
    ],
  ];

  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    const parsed = new URL(request.url ?? '/', 'http://127.0.0.1');
    const query = Object.fromEntries(parsed.searchParams);
    const text = await readBody(request);
    const body = text === '' ? {} : (JSON.parse(text) as Record<string, unknown>);
    const method = request.method ?? 'GET';
    const pathname = decodeURIComponent(parsed.pathname);
    const record: RecordedRequest = { method, path: pathname, query, body, authorization: request.headers.authorization, status: 0 };
    requests.push(record);

    const send = (status: number, payload: unknown, headers: Record<string, string> = {}) => {
      record.status = status;
      response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
      response.end(JSON.stringify(payload));
    };

    if (request.headers.authorization !== `token ${token}` && request.headers.authorization !== `Bearer ${token}`) {
      send(401, { message: 'Bad credentials' });
      return;
    }

    const route = routes.find(([routeMethod, pattern]) => routeMethod === method && pattern.test(pathname));
    if (!route) {
      unexpected.push(record);
      send(404, { message: `the fake GitHub has no route for ${method} ${pathname}` });
      return;
    }

    const fault = faults.find((entry) => entry.remaining > 0 && entry.method === method && entry.path.test(pathname));
    if (fault) {
      fault.remaining--;
      if (fault.applyFirst) route[2](route[1].exec(pathname)!, query, body);
      send(fault.status, { message: fault.status === 429 ? 'API rate limit exceeded' : 'Bad Gateway' }, fault.retryAfter === undefined ? {} : { 'retry-after': String(fault.retryAfter) });
      return;
    }

    const [status, payload] = route[2](route[1].exec(pathname)!, query, body);
    send(status, payload);
  };

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      response.writeHead(500, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ message: `the fake GitHub failed: ${(error as Error).message}` }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url,
    token,
    repo,
    requests,
    unexpected,
    issues,
    failNext: (fault) => faults.push({ ...fault, remaining: fault.times ?? 1 }),
    addIssue,
    pulls,
    git,
    commitFiles,
    readFile: (branch, file) => filesOf(branch)?.get(file),
    verify() {
      if (unexpected.length > 0) {
        throw new Error(`the fake GitHub received unexpected requests: ${unexpected.map((entry) => `${entry.method} ${entry.path}`).join(', ')}`);
      }
      const unused = faults.filter((fault) => fault.remaining > 0);
      if (unused.length > 0) {
        throw new Error(`injected faults were never used: ${unused.map((fault) => `${fault.method} ${fault.path} ${fault.status}`).join(', ')}`);
      }
    },
    stop: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        // Clients keep connections alive; close them so the server stops now.
        server.closeAllConnections();
      }),
  };
}

/** The sha git gives a file's content, as GitHub's contents API reports it. */
function blobSha(text: string): string {
  const bytes = Buffer.from(text, 'utf8');
  return createHash('sha1').update(`blob ${bytes.length}\0`).update(bytes).digest('hex');
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
