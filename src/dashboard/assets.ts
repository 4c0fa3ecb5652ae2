import { OUTCOME_STYLES, OUTCOMES } from './outcome.js';

/** Black or white, whichever reads better on a background colour. */
export function textColourOn(background: string): string {
  const value = Number.parseInt(background.slice(1), 16);
  const luminance = 0.299 * ((value >> 16) & 255) + 0.587 * ((value >> 8) & 255) + 0.114 * (value & 255);
  return luminance > 150 ? '#1f2328' : '#ffffff';
}

const outcomeRules = OUTCOMES.map((outcome) => {
  const { colour } = OUTCOME_STYLES[outcome];
  return `.o-${outcome} { background: ${colour}; color: ${textColourOn(colour)}; }`;
}).join('\n');

/** The dashboard's style sheet, served from /assets so the Content-Security-Policy can forbid inline styles. */
export const DASHBOARD_CSS = `
body { font: 14px/1.45 system-ui, sans-serif; margin: 0; color: #1f2328; background: #fff; }
header { background: #24292f; color: #fff; padding: 8px 16px; display: flex; gap: 16px; align-items: baseline; }
header a { color: #fff; text-decoration: none; }
header .brand { font-weight: 600; }
main { padding: 16px; }
a { color: #0969da; }
table { border-collapse: collapse; }
th, td { padding: 3px 6px; text-align: left; vertical-align: top; }
table.list td, table.list th { border-bottom: 1px solid #d0d7de; }
.scroll { overflow-x: auto; }
table.matrix th.day { font-weight: normal; font-size: 11px; text-align: center; white-space: nowrap; }
table.matrix td.cell { width: 22px; height: 22px; padding: 0; text-align: center; border: 1px solid #fff; }
table.matrix td.cell a, table.matrix td.cell span { display: block; line-height: 22px; color: inherit; text-decoration: none; }
table.matrix th.image { white-space: nowrap; }
.legend span.swatch { display: inline-block; min-width: 18px; text-align: center; margin-right: 4px; border-radius: 3px; }
.legend li { display: inline-block; margin-right: 12px; }
.legend ul { padding: 0; }
.status { display: inline-block; padding: 0 6px; border-radius: 3px; }
.muted { color: #656d76; }
pre.log { background: #0d1117; color: #e6edf3; padding: 12px; overflow-x: auto; white-space: pre-wrap; word-break: break-all; font-size: 12px; }
.error { color: #cf222e; }
section.image-result { border: 1px solid #d0d7de; border-radius: 6px; padding: 8px 12px; margin-bottom: 12px; }
dl.facts { display: grid; grid-template-columns: max-content auto; gap: 2px 12px; }
dl.facts dt { color: #656d76; }
dl.facts dd { margin: 0; }
svg.chart { border: 1px solid #d0d7de; }
${outcomeRules}
`;

/**
 * Live updates, added on top of pages that work without it: the matrix
 * polls the JSON API and repaints changed cells, and a running log follows
 * new lines over Server-Sent Events.
 */
export const DASHBOARD_JS = `
'use strict';
(function () {
  var POLL_INTERVAL_MS = 15000;

  function followMatrix(table) {
    var cells = {};
    table.querySelectorAll('td.cell').forEach(function (cell) {
      cells[cell.dataset.image + '|' + cell.dataset.date] = cell;
    });
    function refresh() {
      fetch(table.dataset.api, { headers: { accept: 'application/json' } })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (matrix) {
          if (!matrix) return;
          for (var r = 0; r < matrix.rows.length; r++) {
            var row = matrix.rows[r];
            for (var c = 0; c < row.cells.length; c++) {
              var data = row.cells[c];
              var cell = cells[row.image + '|' + data.date];
              // A new image or a new day changes the table's shape: load the page again.
              if (!cell) { window.location.reload(); return; }
              if (cell.dataset.outcome === data.outcome && cell.dataset.run === (data.runId || '')) continue;
              repaint(cell, row.image, data);
            }
          }
        })
        .catch(function () { /* the next poll tries again */ });
    }
    setInterval(refresh, POLL_INTERVAL_MS);
  }

  function repaint(cell, image, data) {
    cell.dataset.outcome = data.outcome;
    cell.dataset.run = data.runId || '';
    cell.className = 'cell o-' + data.outcome;
    cell.title = data.title;
    var inner = document.createElement(data.href ? 'a' : 'span');
    if (data.href) inner.href = data.href;
    inner.textContent = data.glyph;
    cell.replaceChildren(inner);
  }

  function followLog(pre) {
    var status = document.getElementById('log-status');
    var source = new EventSource(pre.dataset.stream);
    source.onmessage = function (event) {
      var atBottom = window.innerHeight + window.scrollY >= document.body.scrollHeight - 4;
      pre.appendChild(document.createTextNode(event.data + '\\n'));
      if (atBottom) window.scrollTo(0, document.body.scrollHeight);
    };
    source.addEventListener('end', function (event) {
      source.close();
      if (status) status.textContent = event.data;
    });
  }

  var table = document.querySelector('table.matrix[data-api]');
  if (table) followMatrix(table);
  var pre = document.querySelector('pre.log[data-stream]');
  if (pre) followLog(pre);
})();
`;
