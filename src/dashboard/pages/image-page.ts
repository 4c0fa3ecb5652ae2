import { primaryPackages } from '../../inventory/reports.js';
import type { InventoryRecord } from '../../inventory/types.js';
import { html, type SafeHtml } from '../html.js';
import type { ImageDetails, ImageHistoryEntry } from '../image-details.js';
import type { DashboardLinks } from '../links.js';
import { OUTCOME_STYLES } from '../outcome.js';
import { renderSizeChart } from '../size-chart.js';
import { formatBytes, formatDuration, formatTime, renderCommit, renderLayout } from './layout.js';

/** Renders an image page: last green and red, size over time, inventory and the build history. */
export function renderImagePage(links: DashboardLinks, details: ImageDetails): string {
  const sizes = details.history
    .filter((entry) => entry.build.status === 'succeeded' && entry.build.sizeBytes !== null)
    .map((entry) => ({ at: entry.build.startedAt, sizeBytes: entry.build.sizeBytes! }))
    .reverse();
  const body = html`<h1>${details.image}</h1>
<p><img src="${links.badge(details.image)}" alt="${details.image} badge"> <code>${links.absolute(links.badge(details.image))}</code></p>
<dl class="facts">
<dt>last green</dt><dd>${renderEntryLink(links, details.lastGreen)}</dd>
<dt>last red</dt><dd>${renderEntryLink(links, details.lastRed)}</dd>
</dl>
<h2>Size over time</h2>
${renderSizeChart(sizes)}
<h2>Inventory</h2>
${details.inventory === null ? html`<p class="muted">No inventory taken yet: inventories are taken when an image is validated.</p>` : renderInventory(links, details.inventory)}
<h2>History</h2>
<table class="list"><thead><tr><th></th><th>run</th><th>commit</th><th>outcome</th><th>duration</th><th>size</th><th>digest</th></tr></thead><tbody>
${details.history.map((entry) => renderHistoryRow(links, entry))}
</tbody></table>`;
  return renderLayout(links, details.image, body);
}

function renderEntryLink(links: DashboardLinks, entry: ImageHistoryEntry | null): SafeHtml {
  if (entry === null) return html`<span class="muted">none on record</span>`;
  return html`<a href="${links.run(entry.build.runId)}">${entry.build.runId}</a> (${formatTime(entry.build.startedAt)}, ${OUTCOME_STYLES[entry.outcome].label})`;
}

function renderHistoryRow(links: DashboardLinks, entry: ImageHistoryEntry): SafeHtml {
  const { build } = entry;
  const style = OUTCOME_STYLES[entry.outcome];
  return html`<tr><td class="o-${entry.outcome}" title="${style.label}">${style.glyph}</td><td><a href="${links.run(build.runId)}">${build.runId}</a></td><td>${renderCommit(links, build)} ${build.commitSubject ?? ''}</td><td>${style.label}${build.error === null ? '' : html`<br><span class="error">${build.error.slice(0, 300)}</span>`}</td><td>${formatDuration(
    build.durationMs,
  )}</td><td>${formatBytes(build.sizeBytes)}</td><td><code>${build.digest ?? build.imageId ?? ''}</code></td></tr>
`;
}

function renderInventory(links: DashboardLinks, inventory: InventoryRecord): SafeHtml {
  const python = Object.entries(primaryPackages(inventory));
  const debian = Object.entries(inventory.debian);
  return html`<p>Taken ${formatTime(inventory.takenAt)} from <code>${inventory.imageRef}</code> (build <a href="${links.run(inventory.rebuildRunId)}">${inventory.rebuildRunId}</a>) · ${
    inventory.osRelease.PRETTY_NAME ?? 'unknown OS'
  }</p>
<details><summary>Python packages (${python.length})</summary><table class="list"><tbody>${python.map(([name, version]) => html`<tr><td>${name}</td><td>${version}</td></tr>`)}</tbody></table></details>
<details><summary>Debian packages (${debian.length})</summary><table class="list"><tbody>${debian.map(([name, version]) => html`<tr><td>${name}</td><td>${version}</td></tr>`)}</tbody></table></details>`;
}
