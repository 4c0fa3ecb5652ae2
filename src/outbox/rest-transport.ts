import { REST, Routes } from 'discord.js';
import type { MessageBody, OutboxTransport } from './types.js';

/** Public threads stay open this many minutes without activity; Discord allows 60, 1440, 4320 or 10080. */
const THREAD_AUTO_ARCHIVE_MINUTES = 10080;

/**
 * Creates the REST client the outbox sends with. It neither retries nor
 * waits out rate limits itself (`retries: 0`, `rejectOnRateLimit`), so every
 * failure comes back to the outbox, which persists the retry.
 */
export function createOutboxRest(token: string, apiUrl: string): REST {
  return new REST({ api: apiUrl, retries: 0, rejectOnRateLimit: () => true, timeout: 15_000 }).setToken(token);
}

/** Sends outbox items through discord.js's REST client. */
export class RestOutboxTransport implements OutboxTransport {
  constructor(private readonly rest: REST) {}

  async createMessage(channelId: string, body: MessageBody, nonce: string): Promise<{ id: string }> {
    const message = (await this.rest.post(Routes.channelMessages(channelId), { body: { ...body, nonce, enforce_nonce: true } })) as { id: string };
    return { id: message.id };
  }

  async editMessage(channelId: string, messageId: string, body: MessageBody): Promise<void> {
    await this.rest.patch(Routes.channelMessage(channelId, messageId), { body });
  }

  async startThread(channelId: string, messageId: string, body: MessageBody): Promise<{ id: string }> {
    const thread = (await this.rest.post(Routes.threads(channelId, messageId), {
      body: { auto_archive_duration: THREAD_AUTO_ARCHIVE_MINUTES, ...body },
    })) as { id: string };
    return { id: thread.id };
  }
}
