import { html, type SafeHtml } from '../html.js';
import type { DashboardLinks } from '../links.js';
import { OUTCOME_STYLES, OUTCOMES } from '../outcome.js';

/** Wraps a page body in the document, the style sheet, the script and the navigation bar. */
export function renderLayout(links: DashboardLinks, title: string, body: SafeHtml): string {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · drydock</title>
<link rel="stylesheet" href="${links.path('/assets/dashboard.css')}">
<script defer src="${links.path('/assets/dashboard.js')}"></script>
</head>
<body>
<header><a class="brand" href="${links.home()}">drydock</a><a href="${links.home()}">Matrix</a><a href="${links.path('/runs')}">Runs</a></header>
<main>
${body}
</main>
</body>
</html>
`.text;
}

export function renderLegend(): SafeHtml {
  return html`<div class="legend"><ul>${OUTCOMES.map(
    (outcome) => html`<li><span class="swatch o-${outcome}">${OUTCOME_STYLES[outcome].glyph}</span>${OUTCOME_STYLES[outcome].label}</li>`,
  )}</ul></div>`;
}

/** Formats a duration in the largest fitting units, such as 1 h 02 min or 4.2 s. */
export function formatDuration(milliseconds: number | null): string {
  if (milliseconds === null) return '–';
  if (milliseconds < 60_000) return `${(milliseconds / 1000).toFixed(1)} s`;
  const minutes = Math.floor(milliseconds / 60_000);
  const seconds = Math.floor((milliseconds % 60_000) / 1000);
  if (minutes < 60) return `${minutes} min ${String(seconds).padStart(2, '0')} s`;
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, '0')} min`;
}

/** Formats a size in bytes with a binary unit, such as 1.4 GiB. */
export function formatBytes(bytes: number | null): string {
  if (bytes === null) return '–';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit]}`;
}

/** Formats an ISO time as `YYYY-MM-DD HH:MM:SS UTC`. */
export function formatTime(iso: string | null): string {
  return iso === null ? '–' : `${iso.slice(0, 19).replace('T', ' ')} UTC`;
}

/** Renders a short commit hash, linked to its web page when the repository has one. */
export function renderCommit(
  links: DashboardLinks,
  commit: { repo: string | null; commitHash: string | null; shortCommit: string | null; commitSubject: string | null },
): SafeHtml {
  const { commitHash: hash, shortCommit: shortHash, commitSubject: subject } = commit;
  if (hash === null) return html`<span class="muted">–</span>`;
  const url = links.commit(commit.repo, hash);
  const label = shortHash ?? hash.slice(0, 7);
  return url === null ? html`<code title="${subject ?? ''}">${label}</code>` : html`<a href="${url}" title="${subject ?? ''}"><code>${label}</code></a>`;
}
