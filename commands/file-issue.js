// @ts-check
import { SlashCommandBuilder } from 'discord.js';
import { MAX_IMAGE_OPTION_LENGTH, MAX_RUN_OPTION_LENGTH } from './limits.js';

/** `/file-issue image [run]`, for committers. */
export const definition = new SlashCommandBuilder()
  .setName('file-issue')
  .setDescription("File or update the GitHub issue of an image's failure (committers only)")
  .addStringOption((option) =>
    option.setName('image').setDescription('Image name').setRequired(true).setAutocomplete(true).setMaxLength(MAX_IMAGE_OPTION_LENGTH),
  )
  .addStringOption((option) => option.setName('run').setDescription('Run id (default the newest failure of the image)').setMaxLength(MAX_RUN_OPTION_LENGTH))
  .toJSON();
