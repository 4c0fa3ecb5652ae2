import { randomBytes } from 'node:crypto';
import { ActionRowBuilder, ButtonBuilder, ButtonStyle, MessageFlags, type ButtonInteraction, type ChatInputCommandInteraction } from 'discord.js';
import { describeError } from '../errors.js';
import { planPromotion, type PromotionPlan } from './plan.js';
import { promote, type PromoteDependencies, type PromotionResult } from './promote.js';

/** How long a confirmation button stays valid. */
const CONFIRMATION_TTL_MS = 10 * 60_000;
/** Discord's limit on a message's content. */
const MAX_CONTENT_CHARS = 2000;
/** The custom id prefix of the promotion buttons: `promote:confirm:<key>` and `promote:cancel:<key>`. */
export const PROMOTE_BUTTON_PREFIX = 'promote:';

interface PendingPromotion {
  image: string;
  tag: string;
  as: string | undefined;
  force: boolean;
  digest: string;
  userId: string;
  expiresAt: number;
}

/**
 * Handles `/promote` for the interaction router after its committer gate.
 * The command plans the promotion and changes nothing. Its reply, visible
 * only to the caller, shows the digest, the checks, the validation result
 * and what each production tag will point to, with Promote and Cancel
 * buttons. Pending confirmations live in memory, so a bot restart drops them.
 */
export class DiscordPromotions {
  private readonly pending = new Map<string, PendingPromotion>();

  constructor(
    private readonly dependencies: PromoteDependencies,
    private readonly now: () => number = Date.now,
  ) {}

  async handleCommand(interaction: ChatInputCommandInteraction): Promise<void> {
    await interaction.deferReply({ flags: MessageFlags.Ephemeral });
    const request = {
      image: interaction.options.getString('image', true),
      tag: interaction.options.getString('tag', true),
      as: interaction.options.getString('as') ?? undefined,
      force: interaction.options.getBoolean('force') ?? false,
    };

    let plan: PromotionPlan;
    try {
      plan = await planPromotion(this.dependencies, request);
    } catch (error) {
      await interaction.editReply({ content: truncate(`Cannot promote: ${describeError(error)}`) });
      return;
    }
    if (plan.refusal !== undefined && !request.force) {
      await interaction.editReply({ content: truncate([...describePlan(plan), '', `Refused: ${plan.refusal.replace('with --force', 'with the force option')}`].join('\n')) });
      return;
    }

    const key = randomBytes(8).toString('hex');
    this.dropExpired();
    this.pending.set(key, { ...request, digest: plan.digest, userId: interaction.user.id, expiresAt: this.now() + CONFIRMATION_TTL_MS });
    const buttons = new ActionRowBuilder<ButtonBuilder>().addComponents(
      new ButtonBuilder().setCustomId(`${PROMOTE_BUTTON_PREFIX}confirm:${key}`).setLabel(request.force ? 'Promote (forced)' : 'Promote').setStyle(request.force ? ButtonStyle.Danger : ButtonStyle.Success),
      new ButtonBuilder().setCustomId(`${PROMOTE_BUTTON_PREFIX}cancel:${key}`).setLabel('Cancel').setStyle(ButtonStyle.Secondary),
    );
    const footer = request.force && plan.refusal ? ['', `Forced: ${plan.refusal.split(' Promote it anyway')[0]}`] : [];
    await interaction.editReply({ content: truncate([...describePlan(plan), ...footer, '', 'Nothing has changed yet. Confirm within 10 minutes.'].join('\n')), components: [buttons] });
  }

  /** Handles a Promote or Cancel button; only the committer who ran /promote may press them. */
  async handleButton(interaction: ButtonInteraction): Promise<void> {
    const [, action, key] = interaction.customId.split(':');
    const entry = key === undefined ? undefined : this.pending.get(key);
    if (!entry || entry.expiresAt < this.now()) {
      await interaction.reply({ content: 'This confirmation has expired or the bot restarted: run /promote again.', flags: MessageFlags.Ephemeral });
      return;
    }
    if (entry.userId !== interaction.user.id) {
      await interaction.reply({ content: `Only <@${entry.userId}>, who ran /promote, may confirm it.`, flags: MessageFlags.Ephemeral, allowedMentions: { parse: [] } });
      return;
    }
    this.pending.delete(key!);
    if (action === 'cancel') {
      await interaction.update({ content: 'Promotion cancelled; nothing changed.', components: [] });
      return;
    }

    await interaction.update({ content: `Promoting ${entry.image}:${entry.tag} (${entry.digest})…`, components: [] });
    let result: PromotionResult;
    try {
      result = await promote(this.dependencies, {
        image: entry.image,
        tag: entry.tag,
        as: entry.as,
        force: entry.force,
        expectedDigest: entry.digest,
        dryRun: false,
        requestedBy: `discord:${interaction.user.id} (${interaction.user.username})`,
        trigger: 'discord',
      });
    } catch (error) {
      this.dependencies.logger.error({ err: error, image: entry.image, userId: interaction.user.id }, 'promotion from Discord failed');
      await interaction.editReply({ content: truncate(`Promotion failed: ${describeError(error)}`) });
      return;
    }
    await interaction.editReply({ content: truncate(describeResult(result)) });
  }

  private dropExpired(): void {
    for (const [key, entry] of this.pending) if (entry.expiresAt < this.now()) this.pending.delete(key);
  }
}

/** Builds the lines a confirmation shows: digest, checks, validation, and each production tag's move. */
export function describePlan(plan: PromotionPlan): string[] {
  const validation = plan.validation ? `validate run ${plan.validation.runId}: ${plan.validation.status}` : 'never validated';
  return [
    `**${plan.stagingReference}**`,
    `Digest \`${plan.digest}\`${plan.platforms.length > 0 ? ` (${plan.platforms.join(', ')})` : ''}`,
    `Built: ${plan.build ? `run ${plan.build.runId} at ${plan.build.commit?.slice(0, 12) ?? 'unknown commit'}` : 'not by drydock'}. Validation: ${validation}.`,
    ...plan.checks.map((check) => `${check.passed ? '✓' : '✗'} ${check.name}: ${check.detail}`),
    ...plan.current.map((state) => `\`${state.reference}\`: ${state.digest === plan.digest ? 'already this digest' : `${state.digest ? `\`${state.digest.slice(0, 19)}…\`` : 'new tag'} → \`${plan.digest.slice(0, 19)}…\``}`),
  ];
}

function describeResult(result: PromotionResult): string {
  const { plan } = result;
  if (result.outcome !== 'promoted') return `Promotion of ${plan.stagingReference} ${result.outcome}: ${result.error ?? ''}`;
  const lines = [`Promoted ${plan.stagingReference} to ${plan.productionTags.map((tag) => `\`${plan.productionRepository}:${tag}\``).join(', ')} (\`${plan.digest}\`).`];
  if (result.forced && result.overridden.length > 0) lines.push(`Forced past: ${result.overridden.join('; ')}`);
  if (result.pullRequest.status === 'done') lines.push(`Tag-bump pull request ${result.pullRequest.outcome.action}: ${result.pullRequest.outcome.url}`);
  if (result.pullRequest.status === 'failed') lines.push(`Tag-bump pull request failed: ${result.pullRequest.error}`);
  return lines.join('\n');
}

function truncate(text: string): string {
  return text.length <= MAX_CONTENT_CHARS ? text : `${text.slice(0, MAX_CONTENT_CHARS - 1)}…`;
}
