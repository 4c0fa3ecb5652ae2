import { REST, Routes, type RawFile } from 'discord.js';
import { z } from 'zod';
import type { MessageBody, OutboxTransport, PostedMessage } from './types.js';

/** Public threads stay open this many minutes without activity; Discord allows 60, 1440, 4320 or 10080. */
const THREAD_AUTO_ARCHIVE_MINUTES = 10080;
/** A Discord REST call that takes longer than this fails and is retried by the outbox. */
const REQUEST_TIMEOUT_MS = 15_000;

/** A message as Discord lists it (API v10), with only the fields the outbox compares. */
const ListedMessage = z.looseObject({
  id: z.string().regex(/^[0-9]+$/),
  nonce: z.union([z.string(), z.number()]).nullish(),
  author: z.looseObject({ id: z.string() }),
  content: z.string().default(''),
  embeds: z
    .array(z.looseObject({ title: z.string().optional(), description: z.string().optional(), footer: z.looseObject({ text: z.string().optional() }).optional() }))
    .default([]),
});
const ListedMessages = z.array(ListedMessage);
const CurrentUser = z.looseObject({ id: z.string() });
/** A file the outbox stored with an item, to upload as an attachment. */
const StoredFiles = z.array(z.object({ name: z.string().min(1), base64: z.string() }));

/**
 * Creates the REST client the outbox sends with. It neither retries nor
 * waits out rate limits itself (`retries: 0`, `rejectOnRateLimit`), so every
 * failure comes back to the outbox, which persists the retry.
 */
export function createOutboxRest(token: string, apiUrl: string): REST {
  return new REST({ api: apiUrl, retries: 0, rejectOnRateLimit: () => true, timeout: REQUEST_TIMEOUT_MS }).setToken(token);
}

/** Sends outbox items through discord.js's REST client. */
export class RestOutboxTransport implements OutboxTransport {
  private botUserId: string | undefined;

  constructor(private readonly rest: REST) {}

  async createMessage(channelId: string, body: MessageBody, nonce: string): Promise<{ id: string }> {
    const { json, files } = splitFiles(body);
    const message = (await this.rest.post(Routes.channelMessages(channelId), { body: { ...json, nonce, enforce_nonce: true }, files })) as { id: string };
    return { id: message.id };
  }

  async editMessage(channelId: string, messageId: string, body: MessageBody): Promise<void> {
    const { json, files } = splitFiles(body);
    await this.rest.patch(Routes.channelMessage(channelId, messageId), { body: json, files });
  }

  async startThread(channelId: string, messageId: string, body: MessageBody): Promise<{ id: string }> {
    const thread = (await this.rest.post(Routes.threads(channelId, messageId), {
      body: { auto_archive_duration: THREAD_AUTO_ARCHIVE_MINUTES, ...body },
    })) as { id: string };
    return { id: thread.id };
  }

  async listMessagesAfter(channelId: string, afterId: string, limit: number): Promise<PostedMessage[]> {
    const query = new URLSearchParams({ after: afterId, limit: String(limit) });
    const messages = ListedMessages.parse(await this.rest.get(Routes.channelMessages(channelId), { query }));
    return messages.map((message) => ({ id: message.id, nonce: message.nonce, authorId: message.author.id, content: message.content, embeds: message.embeds }));
  }

  async currentUserId(): Promise<string> {
    this.botUserId ??= CurrentUser.parse(await this.rest.get(Routes.user())).id;
    return this.botUserId;
  }
}

/** Takes the stored `files` out of a body, as discord.js uploads them beside the JSON. */
function splitFiles(body: MessageBody): { json: MessageBody; files: RawFile[] | undefined } {
  if (body.files === undefined) return { json: body, files: undefined };
  const { files, ...json } = body;
  const stored = StoredFiles.parse(files);
  return { json, files: stored.map((file) => ({ name: file.name, data: Buffer.from(file.base64, 'base64') })) };
}
