import { makeSnowflake } from './snowflake.js';
import type { FakeDiscord } from './fake-discord.js';

export interface FakeUser {
  id: string;
  username: string;
  roles: string[];
}

export function makeUser(username: string, roles: string[] = []): FakeUser {
  return { id: makeSnowflake(), username, roles };
}

/** The fields every guild interaction carries, as Discord sends them (API v10). */
function baseInteraction(fake: FakeDiscord, user: FakeUser, type: number) {
  return {
    id: makeSnowflake(),
    application_id: fake.applicationId,
    type,
    token: `fake-token-${makeSnowflake()}`,
    version: 1,
    guild_id: fake.guildId,
    channel_id: fake.channelId,
    channel: { id: fake.channelId, type: 0, guild_id: fake.guildId, name: 'ci' },
    member: {
      user: { id: user.id, username: user.username, discriminator: '0', global_name: user.username, avatar: null },
      roles: user.roles,
      permissions: '2248473465835073',
      joined_at: '2024-01-01T00:00:00.000Z',
      deaf: false,
      mute: false,
      flags: 0,
    },
    app_permissions: '2248473465835073',
    locale: 'en-US',
    guild_locale: 'en-US',
    entitlements: [],
    authorizing_integration_owners: {},
    context: 0,
  };
}

/** A slash command (type 2); `options` as Discord sends them, such as `[{ name: 'images', type: 3, value: 'x' }]`. */
export function chatInput(fake: FakeDiscord, user: FakeUser, name: string, options: unknown[] = [], resolved?: unknown) {
  const command = fake.commands.get(fake.guildId)?.find((entry) => entry.name === name);
  return { ...baseInteraction(fake, user, 2), data: { id: command?.id ?? makeSnowflake(), name, type: 1, guild_id: fake.guildId, options, resolved } };
}

/** An autocomplete request (type 4) with one focused string option. */
export function autocomplete(fake: FakeDiscord, user: FakeUser, name: string, option: string, value: string) {
  const command = fake.commands.get(fake.guildId)?.find((entry) => entry.name === name);
  return { ...baseInteraction(fake, user, 4), data: { id: command?.id ?? makeSnowflake(), name, type: 1, options: [{ name: option, type: 3, value, focused: true }] } };
}

/** A button press (type 3) on a message the bot posted. */
export function buttonPress(fake: FakeDiscord, user: FakeUser, customId: string, messageId: string, channelId: string) {
  return {
    ...baseInteraction(fake, user, 3),
    channel_id: channelId,
    channel: { id: channelId, type: 11, guild_id: fake.guildId, name: 'thread', parent_id: fake.channelId },
    data: { custom_id: customId, component_type: 2 },
    message: { id: messageId, channel_id: channelId, type: 0, content: '', author: { id: fake.botUserId, username: 'drydock', discriminator: '0', avatar: null, bot: true }, embeds: [], components: [], attachments: [], mentions: [], mention_roles: [], pinned: false, mention_everyone: false, tts: false, timestamp: new Date().toISOString(), edited_timestamp: null, flags: 0 },
  };
}
