// @ts-check
import { SlashCommandBuilder } from 'discord.js';
import { MAX_IMAGE_OPTION_LENGTH, MAX_RUN_OPTION_LENGTH } from './limits.js';

/** `/logs image [run]`: the end of an image's build log and a link to the whole log, for everyone. */
export const definition = new SlashCommandBuilder()
  .setName('logs')
  .setDescription("Show the end of an image's build log")
  .addStringOption((option) =>
    option.setName('image').setDescription('Image name').setRequired(true).setAutocomplete(true).setMaxLength(MAX_IMAGE_OPTION_LENGTH),
  )
  .addStringOption((option) => option.setName('run').setDescription('Run id (default the newest run of the image)').setMaxLength(MAX_RUN_OPTION_LENGTH))
  .toJSON();
