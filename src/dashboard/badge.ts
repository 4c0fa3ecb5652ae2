import { escapeHtml as escapeXml } from './html.js';
import { OUTCOME_STYLES, type Outcome } from './outcome.js';

const CHAR_WIDTH_PX = 6.5;
const PADDING_PX = 10;

/** The words a badge shows for each outcome. */
const BADGE_TEXT: Record<Outcome, string> = {
  validated: 'passing',
  built: 'built',
  unchanged: 'unchanged',
  'build-failed': 'build failing',
  'validation-failed': 'tests failing',
  regression: 'regression',
  skipped: 'skipped',
  running: 'running',
  cancelled: 'cancelled',
  'not-run': 'no builds',
};

/** An SVG badge of an image's latest outcome, in the two-part form READMEs use. */
export function renderBadge(image: string, outcome: Outcome | 'unknown'): string {
  const message = outcome === 'unknown' ? 'unknown image' : BADGE_TEXT[outcome];
  const colour = outcome === 'unknown' ? '#9f9f9f' : OUTCOME_STYLES[outcome].colour;
  const labelWidth = Math.round(image.length * CHAR_WIDTH_PX + PADDING_PX * 2);
  const messageWidth = Math.round(message.length * CHAR_WIDTH_PX + PADDING_PX * 2);
  const width = labelWidth + messageWidth;
  const label = escapeXml(image);
  const text = escapeXml(message);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="20" role="img" aria-label="${label}: ${text}">
<title>${label}: ${text}</title>
<rect width="${labelWidth}" height="20" rx="3" fill="#555"/>
<rect x="${labelWidth}" width="${messageWidth}" height="20" rx="3" fill="${colour}"/>
<rect x="${labelWidth}" width="4" height="20" fill="${colour}"/>
<g fill="#fff" text-anchor="middle" font-family="DejaVu Sans,Verdana,Geneva,sans-serif" font-size="11">
<text x="${labelWidth / 2}" y="14">${label}</text>
<text x="${labelWidth + messageWidth / 2}" y="14">${text}</text>
</g>
</svg>
`;
}
