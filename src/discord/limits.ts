/** Discord's message limits (API v10), which a request over them fails with 400. */
export const MAX_CONTENT_CHARS = 2000;
export const MAX_EMBED_DESCRIPTION_CHARS = 4096;
export const MAX_EMBED_TITLE_CHARS = 256;
export const MAX_EMBED_FIELDS = 25;
export const MAX_EMBED_FIELD_VALUE_CHARS = 1024;
/** Titles, descriptions, field names and values, footers and author names of all embeds of one message together. */
export const MAX_EMBED_TOTAL_CHARS = 6000;
export const MAX_THREAD_NAME_CHARS = 100;

/** Cuts text to `max` characters, ending with an ellipsis when cut. */
export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** Counts the characters Discord adds up against the 6000 limit, for one message's embeds. */
export function countEmbedChars(embeds: { title?: string; description?: string; footer?: { text: string }; fields?: { name: string; value: string }[] }[]): number {
  return embeds.reduce(
    (sum, embed) =>
      sum +
      (embed.title?.length ?? 0) +
      (embed.description?.length ?? 0) +
      (embed.footer?.text.length ?? 0) +
      (embed.fields ?? []).reduce((fieldSum, field) => fieldSum + field.name.length + field.value.length, 0),
    0,
  );
}
