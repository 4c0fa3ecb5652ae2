// @ts-check
import { SlashCommandBuilder } from 'discord.js';
import { MAX_IMAGES_OPTION_LENGTH, MAX_REF_OPTION_LENGTH } from './limits.js';

/** `/rebuild images [ref] [validate] [no-cache]`, for committers. */
export const definition = new SlashCommandBuilder()
  .setName('rebuild')
  .setDescription('Rebuild images from scratch and push them to the staging registry (committers only)')
  .addStringOption((option) =>
    option
      .setName('images')
      .setDescription('Image names, separated by commas, or "all"')
      .setRequired(true)
      .setAutocomplete(true)
      .setMaxLength(MAX_IMAGES_OPTION_LENGTH),
  )
  .addStringOption((option) => option.setName('ref').setDescription('Branch, tag or commit to build (default source.ref)').setMaxLength(MAX_REF_OPTION_LENGTH))
  .addBooleanOption((option) => option.setName('validate').setDescription('Validate the images after they build (default false)'))
  .addBooleanOption((option) => option.setName('no-cache').setDescription('Build without the layer cache (default build.noCache)'))
  .toJSON();
