// @ts-check
import { SlashCommandBuilder } from 'discord.js';
import { MAX_IMAGES_OPTION_LENGTH, MAX_RUN_OPTION_LENGTH } from './limits.js';

/** `/validate images [tag]`, for committers. */
export const definition = new SlashCommandBuilder()
  .setName('validate')
  .setDescription("Run the project's tests in staging images (committers only)")
  .addStringOption((option) =>
    option.setName('images').setDescription('Image names, separated by commas').setRequired(true).setAutocomplete(true).setMaxLength(MAX_IMAGES_OPTION_LENGTH),
  )
  .addStringOption((option) => option.setName('tag').setDescription('Staging tag to validate (default the newest build)').setMaxLength(MAX_RUN_OPTION_LENGTH))
  .toJSON();
