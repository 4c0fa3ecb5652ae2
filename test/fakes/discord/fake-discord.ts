import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { makeSnowflake } from './snowflake.js';

/** One HTTP request the fake received, as tests assert on it. */
export interface RecordedRequest {
  method: string;
  /** The path after /api/v10, such as /channels/123/messages. */
  path: string;
  query: URLSearchParams;
  body: any;
  /** Files uploaded with a multipart request, by form field such as `files[0]`. */
  files: FakeFile[];
  /** The HTTP status the fake answered with. */
  status: number;
}

export interface FakeFile {
  field: string;
  filename: string;
  contentType: string;
  data: Buffer;
}

export interface FakeMessage {
  id: string;
  channel_id: string;
  content: string;
  embeds: any[];
  components: any[];
  nonce: string | undefined;
  author: { id: string; username: string; bot: boolean };
  /** How many times the message was edited. */
  edits: number;
  thread: { id: string; name: string } | undefined;
  /** Files attached by the latest create or edit that uploaded any. */
  attachments: FakeFile[];
  /** The fake's time when the message was created, for the nonce window. */
  createdAt: number;
}

/** A failure the fake answers with instead of serving a request. */
export interface Fault {
  method?: string;
  /** A request matches when its path matches this pattern. */
  path?: RegExp;
  status: number;
  /** Seconds, sent in the Retry-After header and the body of a 429. */
  retryAfterSeconds?: number;
  global?: boolean;
  /**
   * Serve the request, then answer with the fault anyway, as when a response
   * is lost on its way back.
   */
  afterServing?: boolean;
}

interface Route {
  method: string;
  pattern: RegExp;
  handle: (match: RegExpMatchArray, body: any, query: URLSearchParams, files: FakeFile[]) => { status: number; body?: unknown };
}

/**
 * A Discord REST API and gateway on 127.0.0.1 that discord.js 14 logs in
 * to. It is strict: a request no route serves is recorded in `unexpected`
 * and answered 404, and `assertClean` fails the test. Every request is
 * recorded. `addFaults` makes it answer 5xx or 429 on demand.
 */
export class FakeDiscord {
  readonly applicationId = makeSnowflake();
  readonly botUserId = this.applicationId;
  readonly guildId = makeSnowflake();
  readonly channelId = makeSnowflake();
  /** Role ids of the guild besides @everyone; add them before the bot logs in. */
  readonly roleIds: string[] = [];
  readonly requests: RecordedRequest[] = [];
  readonly unexpected: string[] = [];
  readonly messages = new Map<string, FakeMessage>();
  /** Registered guild commands by guild id. */
  readonly commands = new Map<string, any[]>();
  /** Interaction callbacks by interaction id, in order. */
  readonly callbacks = new Map<string, any[]>();
  /** The original response of each interaction token, after edits. */
  readonly originals = new Map<string, any>();
  readonly followUps = new Map<string, any[]>();
  readonly identified: Promise<void>;
  /**
   * How long a repeated nonce returns the earlier message. Discord documents
   * this only as "the past few minutes"; tests move `now` past it.
   */
  nonceWindowMs = 5 * 60_000;
  /** The fake's clock, for the nonce window; tests may replace it. */
  now: () => number = () => Date.now();
  private markIdentified!: () => void;
  private readonly faults: Fault[] = [];
  private readonly channels = new Set<string>();
  private readonly sockets = new Set<WebSocket>();
  private sequence = 0;
  private readonly routes: Route[];

  private constructor(
    private readonly server: Server,
    private readonly gateway: WebSocketServer,
  ) {
    this.identified = new Promise((resolve) => (this.markIdentified = resolve));
    this.channels.add(this.channelId);
    this.routes = this.defineRoutes();
  }

  static async start(): Promise<FakeDiscord> {
    const server = createServer();
    const gateway = new WebSocketServer({ noServer: true });
    const fake = new FakeDiscord(server, gateway);
    server.on('request', (request, response) => void fake.serve(request, response));
    server.on('upgrade', (request, socket, head) => {
      gateway.handleUpgrade(request, socket, head, (ws) => fake.acceptGateway(ws));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return fake;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** The value for DISCORD_API_URL. */
  get apiUrl(): string {
    return `http://127.0.0.1:${this.port}/api`;
  }

  /** Queues failures; each one answers the first later request it matches, once. */
  addFaults(...faults: Fault[]): void {
    this.faults.push(...faults);
  }

  pendingFaults(): number {
    return this.faults.length;
  }

  /** Messages of a channel or thread, oldest first. */
  messagesIn(channelId: string): FakeMessage[] {
    return [...this.messages.values()].filter((message) => message.channel_id === channelId);
  }

  /** Adds a message as if the bot had posted it earlier, without a request. */
  postAsBot(channelId: string, body: { content?: string; embeds?: unknown[] }): FakeMessage {
    const result = this.createMessage(channelId, body, []) as { status: number; body: { id: string } };
    if (result.status !== 200) throw new Error(`the fake Discord could not add a message to ${channelId}: ${JSON.stringify(result.body)}`);
    return this.messages.get(result.body.id)!;
  }

  /** Threads started on messages of the main channel. */
  threads(): { id: string; name: string }[] {
    return [...this.messages.values()].flatMap((message) => (message.thread ? [message.thread] : []));
  }

  requestsTo(method: string, path: RegExp): RecordedRequest[] {
    return this.requests.filter((request) => request.method === method && path.test(request.path));
  }

  /** Sends a gateway dispatch to every connected client. */
  dispatch(event: string, data: unknown): void {
    const frame = JSON.stringify({ op: 0, t: event, s: ++this.sequence, d: data });
    for (const socket of this.sockets) socket.send(frame);
  }

  /** Waits until `check` returns a value other than undefined, looking every 20 ms. */
  async waitFor<T>(check: () => T | undefined, description: string, timeoutMs = 20_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = check();
      if (value !== undefined) return value;
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${description}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** Fails when the bot sent a request the fake does not serve. */
  assertClean(): void {
    if (this.unexpected.length > 0) throw new Error(`the fake Discord received unexpected requests:\n${this.unexpected.join('\n')}`);
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.terminate();
    this.gateway.close();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private acceptGateway(socket: WebSocket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.send(JSON.stringify({ op: 10, d: { heartbeat_interval: 45_000 } }));
    socket.on('message', (raw) => {
      const frame = JSON.parse(raw.toString()) as { op: number; d: any };
      if (frame.op === 1) socket.send(JSON.stringify({ op: 11 }));
      if (frame.op === 2) this.sendReady(socket);
    });
  }

  private sendReady(socket: WebSocket): void {
    const ready = {
      v: 10,
      user: { id: this.botUserId, username: 'drydock', discriminator: '0', global_name: null, avatar: null, bot: true, flags: 0 },
      guilds: [{ id: this.guildId, unavailable: true }],
      session_id: 'fake-session',
      resume_gateway_url: `ws://127.0.0.1:${this.port}`,
      application: { id: this.applicationId, flags: 0 },
    };
    socket.send(JSON.stringify({ op: 0, t: 'READY', s: ++this.sequence, d: ready }));
    const guild = {
      id: this.guildId,
      name: 'tvm',
      unavailable: false,
      owner_id: makeSnowflake(),
      member_count: 2,
      roles: [this.guildId, ...this.roleIds].map((id, position) => ({
        id,
        name: position === 0 ? '@everyone' : `role-${position}`,
        permissions: '0',
        position,
        color: 0,
        hoist: false,
        managed: false,
        mentionable: false,
        flags: 0,
      })),
      channels: [{ id: this.channelId, type: 0, name: 'ci', guild_id: this.guildId, position: 0, permission_overwrites: [] }],
      threads: [],
      members: [],
      emojis: [],
      stickers: [],
      features: [],
      voice_states: [],
      presences: [],
      stage_instances: [],
      guild_scheduled_events: [],
      joined_at: new Date().toISOString(),
      large: false,
      premium_tier: 0,
      preferred_locale: 'en-US',
    };
    socket.send(JSON.stringify({ op: 0, t: 'GUILD_CREATE', s: ++this.sequence, d: guild }));
    this.markIdentified();
  }

  private async serve(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks);
    const contentType = request.headers['content-type'] ?? '';
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    const method = request.method ?? 'GET';
    const path = url.pathname.replace(/^\/api\/v10/, '');
    const { text, body, files } = await parseRequestBody(raw, contentType);
    const record: RecordedRequest = { method, path, query: url.searchParams, body, files, status: 0 };
    this.requests.push(record);

    const answer = (status: number, payload?: unknown, headers: Record<string, string> = {}) => {
      record.status = status;
      response.writeHead(status, payload === undefined ? headers : { 'content-type': 'application/json', ...headers });
      response.end(payload === undefined ? undefined : JSON.stringify(payload));
    };

    if (!url.pathname.startsWith('/api/v10/')) {
      this.unexpected.push(`${method} ${url.pathname}`);
      return answer(404, { message: '404: Not Found', code: 0 });
    }

    const fault = this.takeFault(method, path);
    if (fault && !fault.afterServing) return this.answerFault(fault, answer);

    for (const route of this.routes) {
      if (route.method !== method) continue;
      const match = route.pattern.exec(path);
      if (!match) continue;

      const filesProblem = findFilesProblem(body, files);
      const result = filesProblem ? { status: 400, body: { message: `Invalid Form Body: ${filesProblem}`, code: 50035 } } : route.handle(match, body, url.searchParams, files);
      if (fault) return this.answerFault(fault, answer);
      return answer(result.status, result.body);
    }
    this.unexpected.push(`${method} ${path} ${text.slice(0, 200)}`);
    answer(404, { message: '404: Not Found', code: 0 });
  }

  private takeFault(method: string, path: string): Fault | undefined {
    const index = this.faults.findIndex((fault) => (fault.method ?? method) === method && (fault.path ?? /.*/).test(path));
    if (index === -1) return undefined;
    return this.faults.splice(index, 1)[0];
  }

  private answerFault(fault: Fault, answer: (status: number, payload?: unknown, headers?: Record<string, string>) => void): void {
    if (fault.status !== 429) return answer(fault.status, { message: 'Internal Server Error', code: 0 });

    const seconds = fault.retryAfterSeconds ?? 1;
    const headers: Record<string, string> = { 'retry-after': String(seconds), 'x-ratelimit-scope': fault.global ? 'global' : 'user' };
    if (fault.global) headers['x-ratelimit-global'] = 'true';
    answer(429, { message: 'You are being rate limited.', retry_after: seconds, global: fault.global ?? false }, headers);
  }

  private defineRoutes(): Route[] {
    const route = (method: string, pattern: RegExp, handle: Route['handle']): Route => ({ method, pattern, handle });
    return [
      route('GET', /^\/gateway\/bot$/, () => ({
        status: 200,
        body: {
          url: `ws://127.0.0.1:${this.port}`,
          shards: 1,
          session_start_limit: { total: 1000, remaining: 999, reset_after: 86_400_000, max_concurrency: 1 },
        },
      })),
      route('PUT', /^\/applications\/(\d+)\/guilds\/(\d+)\/commands$/, (match, body: any[]) => {
        const previous = this.commands.get(match[2]!) ?? [];
        const stored = body.map((command) => ({
          ...command,
          id: previous.find((old) => old.name === command.name)?.id ?? makeSnowflake(),
          application_id: match[1],
          guild_id: match[2],
          version: makeSnowflake(),
          type: command.type ?? 1,
        }));
        this.commands.set(match[2]!, stored);
        return { status: 200, body: stored };
      }),
      route('GET', /^\/users\/@me$/, () => ({ status: 200, body: { ...this.botAuthor(), discriminator: '0', global_name: null, avatar: null, flags: 0 } })),
      route('GET', /^\/channels\/(\d+)\/messages$/, (match, _body, query) => this.listMessages(match[1]!, query)),
      route('POST', /^\/channels\/(\d+)\/messages$/, (match, body, _query, files) => this.createMessage(match[1]!, body, files)),
      route('PATCH', /^\/channels\/(\d+)\/messages\/(\d+)$/, (match, body, _query, files) => {
        const message = this.messages.get(match[2]!);
        if (!message || message.channel_id !== match[1]) return { status: 404, body: { message: 'Unknown Message', code: 10008 } };
        const problem = findMessageProblem({ ...toMessagePayload(message), ...pickMessageFields(body) });
        if (problem) return { status: 400, body: { message: `Invalid Form Body: ${problem}`, code: 50035 } };
        Object.assign(message, pickMessageFields(body));
        if (files.length > 0) message.attachments = files;
        message.edits++;
        return { status: 200, body: toMessagePayload(message) };
      }),
      route('POST', /^\/channels\/(\d+)\/messages\/(\d+)\/threads$/, (match, body) => {
        const message = this.messages.get(match[2]!);
        if (!message || message.channel_id !== match[1]) return { status: 404, body: { message: 'Unknown Message', code: 10008 } };
        if (message.thread) return { status: 400, body: { message: 'A thread has already been created for this message', code: 160004 } };
        if (typeof body?.name !== 'string' || body.name.length < 1 || body.name.length > 100) {
          return { status: 400, body: { message: 'Invalid Form Body', code: 50035, errors: { name: { _errors: [{ code: 'BASE_TYPE_BAD_LENGTH', message: 'Must be between 1 and 100 in length.' }] } } } };
        }
        message.thread = { id: message.id, name: body.name };
        this.channels.add(message.id);
        return { status: 201, body: { id: message.id, type: 11, guild_id: this.guildId, parent_id: match[1], name: body.name, owner_id: this.botUserId } };
      }),
      route('POST', /^\/interactions\/(\d+)\/([^/]+)\/callback$/, (match, body, query) => {
        const list = this.callbacks.get(match[1]!) ?? [];
        list.push(body);
        this.callbacks.set(match[1]!, list);
        if (body?.type === 4 || body?.type === 5) this.originals.set(match[2]!, { ...body.data, deferred: body.type === 5 });
        if (query.get('with_response') === 'true') {
          return { status: 200, body: { interaction: { id: match[1], type: 2 }, resource: { type: body.type, message: body.data ? { id: makeSnowflake(), ...body.data } : undefined } } };
        }
        return { status: 204 };
      }),
      route('PATCH', /^\/webhooks\/(\d+)\/([^/]+)\/messages\/(?:@|%40)original$/, (match, body) => {
        const original = { ...(this.originals.get(match[2]!) ?? {}), ...body, deferred: false };
        this.originals.set(match[2]!, original);
        return { status: 200, body: { id: makeSnowflake(), channel_id: this.channelId, author: this.botAuthor(), timestamp: new Date().toISOString(), embeds: [], components: [], content: '', ...original } };
      }),
      route('POST', /^\/webhooks\/(\d+)\/([^/]+)$/, (match, body) => {
        const list = this.followUps.get(match[2]!) ?? [];
        list.push(body);
        this.followUps.set(match[2]!, list);
        return { status: 200, body: { id: makeSnowflake(), channel_id: this.channelId, author: this.botAuthor(), timestamp: new Date().toISOString(), embeds: [], components: [], content: '', ...body } };
      }),
    ];
  }

  /**
   * Lists a channel's messages with ids above `after`, as Discord does: at
   * most `limit` (1 to 100, default 50) of the oldest such messages, newest
   * first. Only `after` and `limit` are served; the listing carries no
   * nonces.
   */
  private listMessages(channelId: string, query: URLSearchParams): { status: number; body: unknown } {
    if (!this.channels.has(channelId)) return { status: 404, body: { message: 'Unknown Channel', code: 10003 } };
    const unknown = [...query.keys()].filter((key) => key !== 'after' && key !== 'limit');
    if (unknown.length > 0) {
      this.unexpected.push(`GET /channels/${channelId}/messages with ${unknown.join(', ')}`);
      return { status: 400, body: { message: `the fake Discord does not serve ${unknown.join(', ')}`, code: 50035 } };
    }
    const limit = Number(query.get('limit') ?? 50);
    const after = query.get('after') ?? '0';
    if (!Number.isInteger(limit) || limit < 1 || limit > 100 || !/^[0-9]+$/.test(after)) {
      return { status: 400, body: { message: 'Invalid Form Body: limit must be 1 to 100 and after a snowflake', code: 50035 } };
    }
    const newer = this.messagesIn(channelId)
      .filter((message) => BigInt(message.id) > BigInt(after))
      .sort((a, b) => (BigInt(a.id) < BigInt(b.id) ? -1 : 1))
      .slice(0, limit)
      .reverse();
    return { status: 200, body: newer.map((message) => ({ ...toMessagePayload(message), nonce: undefined })) };
  }

  private createMessage(channelId: string, body: any, files: FakeFile[]): { status: number; body: unknown } {
    if (!this.channels.has(channelId)) return { status: 404, body: { message: 'Unknown Channel', code: 10003 } };
    const problem = findMessageProblem(body);
    if (problem) return { status: 400, body: { message: `Invalid Form Body: ${problem}`, code: 50035 } };

    // Discord returns the earlier message when the same author repeats a nonce with enforce_nonce, within a few minutes.
    if (body.enforce_nonce && body.nonce !== undefined) {
      const earlier = [...this.messages.values()].find(
        (message) => message.nonce === String(body.nonce) && message.channel_id === channelId && this.now() - message.createdAt < this.nonceWindowMs,
      );
      if (earlier) return { status: 200, body: toMessagePayload(earlier) };
    }
    const message: FakeMessage = {
      id: makeSnowflake(),
      channel_id: channelId,
      content: '',
      embeds: [],
      components: [],
      nonce: body.nonce === undefined ? undefined : String(body.nonce),
      author: this.botAuthor(),
      edits: 0,
      thread: undefined,
      attachments: files,
      createdAt: this.now(),
      ...pickMessageFields(body),
    };
    this.messages.set(message.id, message);
    return { status: 200, body: toMessagePayload(message) };
  }

  private botAuthor() {
    return { id: this.botUserId, username: 'drydock', bot: true };
  }
}

function pickMessageFields(body: any): Partial<FakeMessage> {
  const fields: Partial<FakeMessage> = {};
  if (body?.content !== undefined) fields.content = body.content;
  if (body?.embeds !== undefined) fields.embeds = body.embeds;
  if (body?.components !== undefined) fields.components = body.components;
  return fields;
}

function toMessagePayload(message: FakeMessage) {
  const { edits: _edits, thread, attachments, createdAt, ...rest } = message;
  return {
    ...rest,
    type: 0,
    timestamp: new Date(createdAt).toISOString(),
    edited_timestamp: null,
    tts: false,
    mention_everyone: false,
    mentions: [],
    mention_roles: [],
    attachments: attachments.map((file, index) => ({ id: String(index), filename: file.filename, size: file.data.length, content_type: file.contentType })),
    pinned: false,
    thread,
  };
}

/** Reads a JSON body, or a multipart one as discord.js sends uploads: `payload_json` and `files[n]`. */
async function parseRequestBody(raw: Buffer, contentType: string): Promise<{ text: string; body: any; files: FakeFile[] }> {
  if (contentType.startsWith('multipart/form-data')) {
    const form = await new Response(raw, { headers: { 'content-type': contentType } }).formData();
    const payload = form.get('payload_json');
    const files: FakeFile[] = [];
    for (const [field, value] of form.entries()) {
      if (typeof value === 'string') continue;
      files.push({ field, filename: value.name, contentType: value.type, data: Buffer.from(await value.arrayBuffer()) });
    }
    const text = typeof payload === 'string' ? payload : '';
    return { text, body: text === '' ? undefined : JSON.parse(text), files };
  }

  const text = raw.toString('utf8');
  try {
    return { text, body: text === '' ? undefined : JSON.parse(text), files: [] };
  } catch {
    return { text, body: text, files: [] };
  }
}

/**
 * Checks uploads as Discord does: each `files[n]` needs an entry with id n
 * in the body's `attachments`, and an embed image `attachment://NAME` needs
 * a file of that name in the same request.
 */
function findFilesProblem(body: any, files: FakeFile[]): string | undefined {
  const declared: any[] = Array.isArray(body?.attachments) ? body.attachments : [];
  for (const file of files) {
    const index = /^files\[(\d+)\]$/.exec(file.field)?.[1];
    if (index === undefined) return `upload field ${file.field} is not files[n]`;
    if (!declared.some((attachment) => String(attachment.id) === index)) return `${file.field} has no entry in attachments`;
  }
  for (const embed of body?.embeds ?? []) {
    const url: unknown = embed?.image?.url;
    if (typeof url === 'string' && url.startsWith('attachment://') && !files.some((file) => file.filename === url.slice('attachment://'.length))) {
      return `embed image ${url} names no uploaded file`;
    }
  }
  return undefined;
}

/** Discord's message limits, so the fake rejects what Discord would. */
export function findMessageProblem(body: any): string | undefined {
  const content = typeof body?.content === 'string' ? body.content : '';
  if (content.length > 2000) return `content has ${content.length} characters, more than 2000`;
  const embeds: any[] = body?.embeds ?? [];
  if (embeds.length > 10) return `${embeds.length} embeds, more than 10`;
  let total = 0;
  for (const embed of embeds) {
    const description = embed.description ?? '';
    if (description.length > 4096) return `embed description has ${description.length} characters, more than 4096`;
    if ((embed.title ?? '').length > 256) return 'embed title longer than 256';
    const fields: any[] = embed.fields ?? [];
    if (fields.length > 25) return `${fields.length} embed fields, more than 25`;
    for (const field of fields) {
      if (field.name.length > 256 || field.value.length > 1024) return `embed field ${field.name} is too long`;
    }
    total += (embed.title ?? '').length + description.length + (embed.footer?.text ?? '').length + (embed.author?.name ?? '').length;
    total += fields.reduce((sum, field) => sum + field.name.length + field.value.length, 0);
  }
  if (total > 6000) return `embeds have ${total} characters in all, more than 6000`;
  return undefined;
}
