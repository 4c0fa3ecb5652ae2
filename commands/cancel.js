// @ts-check
import { SlashCommandBuilder } from 'discord.js';
import { MAX_RUN_OPTION_LENGTH } from './limits.js';

/** `/cancel run`, for committers. */
export const definition = new SlashCommandBuilder()
  .setName('cancel')
  .setDescription('Cancel a running or queued run (committers only)')
  .addStringOption((option) => option.setName('run').setDescription('Run id, as /schedule lists it').setRequired(true).setMaxLength(MAX_RUN_OPTION_LENGTH))
  .toJSON();
