import { Client, GatewayIntentBits, Routes, type REST } from 'discord.js';
import { z } from 'zod';

/** Discord's REST API, used when DISCORD_API_URL is unset. */
export const DEFAULT_DISCORD_API_URL = 'https://discord.com/api';

/**
 * Creates the gateway client. Its REST calls go to `apiUrl` (DISCORD_API_URL),
 * so a REST proxy can stand in front of Discord. Only the Guilds intent is
 * needed, because the bot reads interactions, not messages.
 */
export function createDiscordClient(apiUrl: string): Client {
  return new Client({ intents: [GatewayIntentBits.Guilds], rest: { api: apiUrl } });
}

/** The shape every file in commands/ exports, checked when the bot loads them. */
const CommandDefinition = z.looseObject({
  name: z.string().regex(/^[-_a-z0-9]{1,32}$/),
  description: z.string().min(1).max(100),
  options: z.array(z.looseObject({ name: z.string(), type: z.number() })).max(25).optional(),
});
export type CommandDefinition = z.infer<typeof CommandDefinition>;

/** Loads the slash command definitions from commands/ at the package root. */
export async function loadCommandDefinitions(): Promise<CommandDefinition[]> {
  // src/discord and dist/discord sit at the same depth under the package root.
  const index = new URL('../../commands/index.js', import.meta.url).href;
  const module = (await import(index)) as { definitions?: unknown };
  return z.array(CommandDefinition).parse(module.definitions);
}

/**
 * Registers the guild's commands with one bulk overwrite (PUT), which is
 * idempotent: the same list twice leaves one set of commands, and commands
 * no longer defined are removed.
 */
export async function registerGuildCommands(rest: REST, applicationId: string, guildId: string, definitions: CommandDefinition[]): Promise<number> {
  const registered = (await rest.put(Routes.applicationGuildCommands(applicationId, guildId), { body: definitions })) as unknown[];
  return registered.length;
}
