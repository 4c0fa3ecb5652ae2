// @ts-check
import { SlashCommandBuilder } from 'discord.js';
import { MAX_IMAGE_OPTION_LENGTH } from './limits.js';

/** `/status [image] [days]`: the matrix of recent outcomes, for everyone. */
export const definition = new SlashCommandBuilder()
  .setName('status')
  .setDescription('Show the outcome of each image over the last days')
  .addStringOption((option) =>
    option.setName('image').setDescription('Only this image').setAutocomplete(true).setMaxLength(MAX_IMAGE_OPTION_LENGTH),
  )
  .addIntegerOption((option) => option.setName('days').setDescription('How many days to show (default 7)').setMinValue(1).setMaxValue(60))
  .toJSON();
