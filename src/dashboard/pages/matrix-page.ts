import { html, type SafeHtml } from '../html.js';
import type { DashboardLinks } from '../links.js';
import type { DashboardCell, DashboardMatrix, DashboardRow } from '../matrix-model.js';
import { OUTCOME_STYLES } from '../outcome.js';
import { renderCommit, renderLayout, renderLegend } from './layout.js';

const DAY_CHOICES = [7, 14, 30, 90, 365];

/** Renders the home page: images × days, each cell a glyph, a colour, a tooltip and a link to its run. */
export function renderMatrixPage(links: DashboardLinks, matrix: DashboardMatrix): string {
  const choices = DAY_CHOICES.map((days) =>
    days === matrix.days ? html`<strong>${days} days</strong> ` : html`<a href="${links.home(days)}">${days} days</a> `,
  );
  const table =
    matrix.rows.length === 0
      ? html`<p>No builds recorded yet. Run <code>drydock rebuild</code> or <code>drydock nightly</code>, and they show here.</p>`
      : html`<div class="scroll"><table class="matrix" data-api="${links.path(`/api/matrix?days=${matrix.days}`)}">
<thead><tr><th>image</th><th title="current run of green or red nights">streak</th><th title="green-to-red changes in this window">flips</th>${matrix.columns.map(
          (column) =>
            html`<th class="day" scope="col">${column.date.slice(5)}<br>${column.commitHash === null ? '' : renderCommit(links, column)}</th>`,
        )}</tr></thead>
<tbody>
${matrix.rows.map((row) => renderRow(links, row))}
</tbody></table></div>`;

  const body = html`<h1>CI images, last ${matrix.days} days</h1>
<p>${choices} · <a href="${links.matrixPng(matrix.days)}">PNG</a> · <a href="${links.path(`/matrix.svg?days=${matrix.days}`)}">SVG</a> · <a href="${links.path(`/api/matrix?days=${matrix.days}`)}">JSON</a></p>
${table}
${renderLegend()}`;
  return renderLayout(links, 'Matrix', body);
}

function renderRow(links: DashboardLinks, row: DashboardRow): SafeHtml {
  const streak =
    row.streak === null
      ? html`<span class="muted">–</span>`
      : html`<span title="${row.streak.length} ${row.streak.health} night(s) in a row">${row.streak.health === 'green' ? '✓' : '✗'} ${row.streak.length}</span>`;
  return html`<tr><th class="image" scope="row"><a href="${links.image(row.image)}">${row.image}</a></th><td>${streak}</td><td>${row.flips}</td>${row.cells.map(
    (cell) => renderCell(links, row.image, cell),
  )}</tr>
`;
}

function renderCell(links: DashboardLinks, image: string, cell: DashboardCell): SafeHtml {
  const style = OUTCOME_STYLES[cell.outcome];
  const title = describeCell(image, cell);
  const inner = cell.runId === null ? html`<span>${style.glyph}</span>` : html`<a href="${links.run(cell.runId)}">${style.glyph}</a>`;
  return html`<td class="cell o-${cell.outcome}" data-image="${image}" data-date="${cell.date}" data-outcome="${cell.outcome}" data-run="${cell.runId ?? ''}" title="${title}">${inner}</td>`;
}

/** Describes a cell for its tooltip: image, day, outcome, and the commit and error when there are any. */
export function describeCell(image: string, cell: DashboardCell): string {
  const parts = [`${image} ${cell.date}: ${OUTCOME_STYLES[cell.outcome].label}`];
  if (cell.shortCommit !== null) parts.push(`at ${cell.shortCommit}`);
  if (cell.error !== null) parts.push(`(${cell.error.slice(0, 200)})`);
  return parts.join(' ');
}
