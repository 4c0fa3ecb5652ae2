// @ts-check
import { SlashCommandBuilder } from 'discord.js';
import { MAX_IMAGE_OPTION_LENGTH, MAX_RUN_OPTION_LENGTH } from './limits.js';

/** `/promote image tag [as] [force]`, for committers. It replies with a confirmation button before anything changes. */
export const definition = new SlashCommandBuilder()
  .setName('promote')
  .setDescription('Copy a validated staging image to the production registry by digest (committers only)')
  .addStringOption((option) => option.setName('image').setDescription('Image name, such as ci_cpu').setRequired(true).setAutocomplete(true).setMaxLength(MAX_IMAGE_OPTION_LENGTH))
  .addStringOption((option) => option.setName('tag').setDescription('Staging tag to promote').setRequired(true).setMaxLength(MAX_RUN_OPTION_LENGTH))
  .addStringOption((option) => option.setName('as').setDescription('Production tag to write (default the staging tag)').setMaxLength(MAX_RUN_OPTION_LENGTH))
  .addBooleanOption((option) => option.setName('force').setDescription('Promote although drydock did not build or validate it; the override is recorded'))
  .toJSON();
