// @ts-check
import { SlashCommandBuilder } from 'discord.js';

/** `/schedule`: when the next nightly runs and what is queued, for everyone. */
export const definition = new SlashCommandBuilder()
  .setName('schedule')
  .setDescription('Show when the next nightly runs and what is running or queued')
  .toJSON();
