import { createHash } from 'node:crypto';
import { DrydockError, ExternalHostError } from '../errors.js';
import {
  ImageIndex,
  ImageManifest,
  INDEX_TYPES,
  MANIFEST_ACCEPT,
  MANIFEST_TYPES,
  RegistryErrorBody,
  TokenResponse,
} from './registry-schema.js';

/** Time allowed for a request that moves no blob: a manifest, a token, a check. */
const METADATA_TIMEOUT_MS = 60_000;
/** Time allowed for one blob to stream from one registry into another; CI layers can be several gigabytes. */
const BLOB_TIMEOUT_MS = 60 * 60_000;
/** Attempts after the first for reads that fail with no response, 429 or 5xx. */
const READ_RETRIES = 2;
const READ_RETRY_DELAY_MS = 500;
/** The largest manifest or image configuration read into memory. */
const MAX_DOCUMENT_BYTES = 8 * 1024 * 1024;

export interface RegistryCredentials {
  username: string;
  password: string;
}

export interface RegistryClientOptions {
  /** `host[:port]` as in image references; `docker.io` means Docker Hub. */
  host: string;
  /** `staging` or `production`, for messages. */
  role: string;
  credentials: RegistryCredentials | undefined;
  /** Where the credentials come from, such as "DRYDOCK_PRODUCTION_REGISTRY_USERNAME and DRYDOCK_PRODUCTION_REGISTRY_PASSWORD". */
  credentialSource: string;
  /** What to set to give credentials, for the fix of an authentication error. */
  credentialFix: string;
  fetch?: typeof fetch;
}

/** The registry refused the credentials, or needs some and none were given. */
export class RegistryAuthError extends DrydockError {
  constructor(
    readonly host: string,
    message: string,
    fix: string,
  ) {
    super(message, { fix });
  }
}

/** A registry request that failed with an HTTP status, or with no response. */
export class RegistryRequestError extends ExternalHostError {
  constructor(
    host: string,
    message: string,
    readonly status: number | undefined,
    readonly code: string | undefined,
    options: { fix?: string; cause?: unknown } = {},
  ) {
    super(host, message, options);
  }
}

export type ParsedManifest = { kind: 'index'; index: ImageIndex } | { kind: 'manifest'; manifest: ImageManifest };

/** A manifest as the registry stored it: its exact bytes, their digest and their media type. */
export interface FetchedManifest {
  digest: string;
  mediaType: string;
  bytes: Buffer;
  parsed: ParsedManifest;
}

interface RequestOptions {
  scopes: string[];
  headers?: Record<string, string>;
  body?: RequestInit['body'];
  timeoutMs?: number;
  /** Statuses returned to the caller instead of raised. */
  accept: number[];
}

/**
 * A client of the distribution (OCI) registry HTTP API v2 for one registry.
 * It answers authentication challenges itself: HTTP basic, or a bearer
 * token from the challenge's realm, with one token cached per scope set.
 */
export class RegistryClient {
  readonly host: string;
  readonly baseUrl: string;
  private readonly options: RegistryClientOptions;
  private readonly fetch: typeof fetch;
  private basicAuthorization: string | undefined;
  private readonly tokens = new Map<string, string>();

  constructor(options: RegistryClientOptions) {
    this.options = options;
    this.host = options.host;
    this.baseUrl = registryBaseUrl(options.host);
    this.fetch = options.fetch ?? fetch;
  }

  /** Fetches a manifest by tag or digest; undefined when the repository or the reference does not exist. */
  async getManifest(repository: string, reference: string): Promise<FetchedManifest | undefined> {
    const response = await this.request('GET', `/v2/${repository}/manifests/${reference}`, {
      scopes: [pullScope(repository)],
      headers: { accept: MANIFEST_ACCEPT },
      accept: [200, 404],
    });
    if (response.status === 404) {
      await response.body?.cancel();
      return undefined;
    }

    const bytes = await readLimited(response, MAX_DOCUMENT_BYTES, `manifest ${repository}:${reference}`);
    const headerDigest = response.headers.get('docker-content-digest') ?? undefined;
    const algorithm = reference.includes(':') ? reference.split(':')[0]! : (headerDigest?.split(':')[0] ?? 'sha256');
    const digest = digestOf(bytes, algorithm);
    if (reference.includes(':') && digest !== reference) {
      throw new RegistryRequestError(this.host, `${this.options.role} registry ${this.host} returned manifest ${digest} when ${repository}@${reference} was requested`, undefined, 'DIGEST_INVALID');
    }
    if (headerDigest !== undefined && headerDigest.startsWith(`${algorithm}:`) && headerDigest !== digest) {
      throw new RegistryRequestError(this.host, `${this.options.role} registry ${this.host} reported digest ${headerDigest} for ${repository}:${reference}, but its bytes hash to ${digest}`, undefined, 'DIGEST_INVALID');
    }

    const json = JSON.parse(bytes.toString('utf8')) as { mediaType?: unknown };
    const mediaType = typeof json.mediaType === 'string' ? json.mediaType : (response.headers.get('content-type') ?? '').split(';')[0]!.trim();
    return { digest, mediaType, bytes, parsed: this.parseManifest(json, mediaType, `${repository}:${reference}`) };
  }

  /** The digest a tag or digest resolves to; undefined when it does not exist. */
  async resolveDigest(repository: string, reference: string): Promise<string | undefined> {
    const response = await this.request('HEAD', `/v2/${repository}/manifests/${reference}`, {
      scopes: [pullScope(repository)],
      headers: { accept: MANIFEST_ACCEPT },
      accept: [200, 404],
    });
    if (response.status === 404) return undefined;
    const digest = response.headers.get('docker-content-digest');
    if (digest) return digest;
    return (await this.getManifest(repository, reference))?.digest;
  }

  /** Stores a manifest's exact bytes under `reference` and returns the digest the registry reports. */
  async putManifest(repository: string, reference: string, manifest: Pick<FetchedManifest, 'bytes' | 'mediaType' | 'digest'>): Promise<string> {
    const response = await this.request('PUT', `/v2/${repository}/manifests/${reference}`, {
      scopes: [pushScope(repository)],
      headers: { 'content-type': manifest.mediaType },
      body: new Uint8Array(manifest.bytes),
      accept: [201],
    });
    await response.body?.cancel();
    return response.headers.get('docker-content-digest') ?? manifest.digest;
  }

  async hasBlob(repository: string, digest: string): Promise<boolean> {
    const response = await this.request('HEAD', `/v2/${repository}/blobs/${digest}`, { scopes: [pullScope(repository)], accept: [200, 404] });
    return response.status === 200;
  }

  /** Opens a blob for streaming; the caller consumes or cancels the body. */
  async openBlob(repository: string, digest: string): Promise<Response> {
    return this.request('GET', `/v2/${repository}/blobs/${digest}`, { scopes: [pullScope(repository)], accept: [200], timeoutMs: BLOB_TIMEOUT_MS });
  }

  /** Reads a small blob, such as an image configuration, and checks its digest. */
  async readJsonBlob(repository: string, digest: string): Promise<unknown> {
    const response = await this.request('GET', `/v2/${repository}/blobs/${digest}`, { scopes: [pullScope(repository)], accept: [200] });
    const bytes = await readLimited(response, MAX_DOCUMENT_BYTES, `blob ${repository}@${digest}`);
    const actual = digestOf(bytes, digest.split(':')[0]!);
    if (actual !== digest) {
      throw new RegistryRequestError(this.host, `${this.options.role} registry ${this.host} returned blob ${actual} when ${repository}@${digest} was requested`, undefined, 'DIGEST_INVALID');
    }
    return JSON.parse(bytes.toString('utf8'));
  }

  /**
   * Asks the registry to link a blob of another repository on the same
   * registry into `repository` without copying it. Returns `mounted` when it
   * did, or the upload location it opened instead (registries may refuse a
   * mount, for example when the caller may not pull from `from`).
   */
  async mountBlob(repository: string, digest: string, from: string): Promise<{ mounted: true } | { mounted: false; location: string }> {
    const query = new URLSearchParams({ mount: digest, from });
    const response = await this.request('POST', `/v2/${repository}/blobs/uploads/?${query}`, {
      scopes: [pushScope(repository), pullScope(from)],
      accept: [201, 202],
    });
    await response.body?.cancel();
    if (response.status === 201) return { mounted: true };
    return { mounted: false, location: this.uploadLocation(response) };
  }

  /** Opens an upload session and returns its location. */
  async startUpload(repository: string): Promise<string> {
    const response = await this.request('POST', `/v2/${repository}/blobs/uploads/`, { scopes: [pushScope(repository)], accept: [202] });
    await response.body?.cancel();
    return this.uploadLocation(response);
  }

  /** Sends a whole blob to an upload session in one request; the registry checks it against `digest`. */
  async finishUpload(repository: string, location: string, digest: string, size: number, body: ReadableStream<Uint8Array>): Promise<void> {
    const url = new URL(location, this.baseUrl);
    url.searchParams.set('digest', digest);
    const response = await this.request('PUT', url.toString(), {
      scopes: [pushScope(repository)],
      headers: { 'content-type': 'application/octet-stream', 'content-length': String(size) },
      body,
      timeoutMs: BLOB_TIMEOUT_MS,
      accept: [201],
    });
    await response.body?.cancel();
  }

  private uploadLocation(response: Response): string {
    const location = response.headers.get('location');
    if (!location) {
      throw new RegistryRequestError(this.host, `${this.options.role} registry ${this.host} opened an upload without a Location header`, response.status, undefined);
    }
    return new URL(location, this.baseUrl).toString();
  }

  private parseManifest(json: unknown, mediaType: string, what: string): ParsedManifest {
    if (INDEX_TYPES.has(mediaType)) return { kind: 'index', index: ImageIndex.parse(json) };
    if (MANIFEST_TYPES.has(mediaType)) return { kind: 'manifest', manifest: ImageManifest.parse(json) };
    throw new RegistryRequestError(this.host, `${what} on ${this.host} is a ${mediaType || 'manifest without a media type'}, which drydock cannot copy`, undefined, 'MANIFEST_UNSUPPORTED', {
      fix: `push the image with a current Docker or BuildKit, which write ${MANIFEST_ACCEPT}`,
    });
  }

  /**
   * Sends one request, answering a 401 challenge once and sending again.
   * A streamed body cannot be sent twice, so callers make an earlier
   * request with the same scopes (such as the upload's POST) first.
   */
  private async request(method: string, pathOrUrl: string, options: RequestOptions): Promise<Response> {
    const url = pathOrUrl.startsWith('/') ? `${this.baseUrl}${pathOrUrl}` : pathOrUrl;
    const scopeKey = options.scopes.join(' ');
    const idempotent = method === 'GET' || method === 'HEAD';

    for (let attempt = 0, challenged = false; ; attempt++) {
      const authorization = this.basicAuthorization ?? this.tokens.get(scopeKey);
      let response: Response;
      try {
        response = await this.fetch(url, {
          method,
          headers: { ...options.headers, ...(authorization ? { authorization } : {}) },
          body: options.body,
          redirect: 'follow',
          signal: AbortSignal.timeout(options.timeoutMs ?? METADATA_TIMEOUT_MS),
          ...(options.body instanceof ReadableStream ? { duplex: 'half' } : {}),
        } as RequestInit);
      } catch (error) {
        if (idempotent && attempt < READ_RETRIES) {
          await delay(READ_RETRY_DELAY_MS * 2 ** attempt);
          continue;
        }
        throw new RegistryRequestError(this.host, `${this.options.role} registry ${this.host} did not respond to ${method} ${new URL(url).pathname}: ${(error as Error).message}`, undefined, undefined, {
          fix: `check that the ${this.options.role} registry is running and reachable from here`,
          cause: error,
        });
      }

      if (response.status === 401 && !challenged && !(options.body instanceof ReadableStream)) {
        await response.body?.cancel();
        await this.answerChallenge(response.headers.get('www-authenticate'), options.scopes);
        challenged = true;
        continue;
      }
      if (options.accept.includes(response.status)) return response;
      if (idempotent && attempt < READ_RETRIES && (response.status === 429 || response.status >= 500)) {
        await response.body?.cancel();
        await delay(READ_RETRY_DELAY_MS * 2 ** attempt);
        continue;
      }
      throw await this.failure(method, url, response);
    }
  }

  private async answerChallenge(header: string | null, scopes: string[]): Promise<void> {
    const challenge = parseChallenge(header ?? '');
    const { credentials } = this.options;
    if (challenge.scheme === 'basic') {
      if (!credentials) throw this.authError('requires a user name and password');
      this.basicAuthorization = basicAuthorization(credentials);
      return;
    }
    if (challenge.scheme !== 'bearer' || !challenge.params.realm) {
      throw new RegistryRequestError(this.host, `${this.options.role} registry ${this.host} sent an authentication challenge drydock cannot answer: ${header ?? '(none)'}`, 401, 'UNAUTHORIZED');
    }

    // NOTE: the tests cover basic auth on a real registry; this bearer-token path has not run against a real token service.
    const realm = new URL(challenge.params.realm);
    if (challenge.params.service) realm.searchParams.set('service', challenge.params.service);
    for (const scope of scopes) realm.searchParams.append('scope', scope);
    let response: Response;
    try {
      response = await this.fetch(realm, {
        headers: credentials ? { authorization: basicAuthorization(credentials) } : {},
        signal: AbortSignal.timeout(METADATA_TIMEOUT_MS),
      });
    } catch (error) {
      throw new RegistryRequestError(this.host, `the token service of ${this.options.role} registry ${this.host} (${realm.origin}) did not respond: ${(error as Error).message}`, undefined, undefined, { cause: error });
    }
    if (response.status === 401 || response.status === 403) {
      await response.body?.cancel();
      throw this.authError(credentials ? 'rejected the user name and password' : 'requires a user name and password');
    }
    if (!response.ok) throw await this.failure('GET', realm.toString(), response);

    const body = TokenResponse.parse(await response.json());
    this.tokens.set(scopes.join(' '), `Bearer ${body.token ?? body.access_token}`);
  }

  private authError(problem: string): RegistryAuthError {
    const { role, credentials, credentialSource, credentialFix } = this.options;
    const given = credentials ? ` (user ${credentials.username} from ${credentialSource})` : '';
    return new RegistryAuthError(this.host, `${role} registry ${this.host} ${problem}${given}`, credentialFix);
  }

  private async failure(method: string, url: string, response: Response): Promise<DrydockError> {
    const text = await response.text().catch(() => '');
    let code: string | undefined;
    let detail = text.slice(0, 300);
    try {
      const parsed = RegistryErrorBody.safeParse(JSON.parse(text));
      if (parsed.success && parsed.data.errors[0]) {
        code = parsed.data.errors[0].code;
        detail = parsed.data.errors.map((error) => `${error.code}${error.message ? `: ${error.message}` : ''}`).join('; ');
      }
    } catch {
      // Not JSON: keep the start of the text.
    }

    const where = `${method} ${new URL(url).pathname}`;
    if (response.status === 401) return this.authError(`rejected ${where} (HTTP 401${detail ? `, ${detail}` : ''})`);
    if (response.status === 403) {
      return new RegistryAuthError(this.host, `${this.options.role} registry ${this.host} denied ${where} (HTTP 403${detail ? `, ${detail}` : ''})`, this.options.credentialFix);
    }
    return new RegistryRequestError(this.host, `${this.options.role} registry ${this.host} failed ${where}: HTTP ${response.status}${detail ? ` (${detail})` : ''}`, response.status, code);
  }
}

/**
 * The API address of a registry host. Loopback registries are reached over
 * plain HTTP, as the Docker engine allows for them by default; every other
 * host over HTTPS. Docker Hub's API lives at registry-1.docker.io.
 */
export function registryBaseUrl(host: string): string {
  if (host === 'docker.io') return 'https://registry-1.docker.io';
  const name = host.replace(/:\d+$/, '');
  const loopback = name === 'localhost' || name === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(name);
  // NOTE: a plain-HTTP registry on another host (an engine's insecure-registries entry) is not supported.
  return `${loopback ? 'http' : 'https'}://${host}`;
}

/** Splits a repository reference into its registry host and its path on that registry (`library/` added for official Hub images). */
export function splitRepository(repository: string): { host: string; path: string } {
  const first = repository.split('/')[0] ?? '';
  const hasHost = repository.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost');
  if (hasHost) return { host: first, path: repository.slice(first.length + 1) };
  return { host: 'docker.io', path: repository.includes('/') ? repository : `library/${repository}` };
}

export function digestOf(bytes: Uint8Array, algorithm = 'sha256'): string {
  return `${algorithm}:${createHash(algorithm).update(bytes).digest('hex')}`;
}

function pullScope(repository: string): string {
  return `repository:${repository}:pull`;
}

function pushScope(repository: string): string {
  return `repository:${repository}:pull,push`;
}

function basicAuthorization(credentials: RegistryCredentials): string {
  return `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`;
}

/** Parses a WWW-Authenticate header such as `Bearer realm="https://auth.example/token",service="registry"`. */
export function parseChallenge(header: string): { scheme: string; params: Record<string, string> } {
  const match = /^\s*(\S+)\s*(.*)$/.exec(header);
  if (!match) return { scheme: '', params: {} };
  const params: Record<string, string> = {};
  for (const pair of match[2]!.matchAll(/([A-Za-z_]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))/g)) {
    params[pair[1]!.toLowerCase()] = (pair[2] ?? pair[3] ?? '').replace(/\\(.)/g, '$1');
  }
  return { scheme: match[1]!.toLowerCase(), params };
}

async function readLimited(response: Response, maxBytes: number, what: string): Promise<Buffer> {
  const declared = Number(response.headers.get('content-length') ?? 0);
  if (declared > maxBytes) {
    await response.body?.cancel();
    throw new DrydockError(`${what} is ${declared} bytes, more than the ${maxBytes} bytes drydock reads`);
  }
  const bytes = Buffer.from(await response.arrayBuffer());
  if (bytes.length > maxBytes) throw new DrydockError(`${what} is ${bytes.length} bytes, more than the ${maxBytes} bytes drydock reads`);
  return bytes;
}

function delay(milliseconds: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, milliseconds).unref());
}
