// @ts-check
import { SlashCommandBuilder } from 'discord.js';

/** `/oncall show | set user [days] | rotation`; `set` is for committers. */
export const definition = new SlashCommandBuilder()
  .setName('oncall')
  .setDescription('Who is on call for failures')
  .addSubcommand((sub) => sub.setName('show').setDescription('Show who is on call now'))
  .addSubcommand((sub) =>
    sub
      .setName('set')
      .setDescription('Put someone on call, overriding the rotation (committers only)')
      .addUserOption((option) => option.setName('user').setDescription('Who takes over').setRequired(true))
      .addIntegerOption((option) => option.setName('days').setDescription('For how many days (default until the end of the current turn)').setMinValue(1).setMaxValue(90)),
  )
  .addSubcommand((sub) => sub.setName('rotation').setDescription('Show the rotation and the coming turns'))
  .toJSON();
