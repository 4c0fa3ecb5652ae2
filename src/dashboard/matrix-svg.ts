import { Resvg } from '@resvg/resvg-js';
import { textColourOn } from './assets.js';
import { escapeHtml as escapeXml } from './html.js';
import type { DashboardMatrix } from './matrix-model.js';
import { OUTCOME_STYLES, OUTCOMES } from './outcome.js';

const CELL_PX = 18;
const GAP_PX = 2;
const NAME_WIDTH_PER_CHAR_PX = 7.5;
const HEADER_PX = 76;
const LEGEND_COLUMNS = 5;
const LEGEND_COLUMN_PX = 150;
const LEGEND_ROW_PX = 18;
const MARGIN_PX = 8;
const FONT = 'DejaVu Sans, Liberation Sans, Arial, sans-serif';

/**
 * Renders the matrix as a standalone SVG: one row per image, one column per
 * day, each cell its outcome's colour and glyph with a tooltip, and a
 * legend. The PNG attached to the run summary is rendered from this SVG.
 */
export function renderMatrixSvg(matrix: DashboardMatrix): string {
  const nameWidth = Math.ceil(Math.max(5, ...matrix.rows.map((row) => row.image.length)) * NAME_WIDTH_PER_CHAR_PX) + MARGIN_PX;
  const gridWidth = matrix.columns.length * (CELL_PX + GAP_PX);
  const width = Math.max(MARGIN_PX * 2 + nameWidth + gridWidth, MARGIN_PX * 2 + LEGEND_COLUMNS * LEGEND_COLUMN_PX);
  const legendHeight = Math.ceil(OUTCOMES.length / LEGEND_COLUMNS) * LEGEND_ROW_PX + MARGIN_PX;
  const height = MARGIN_PX * 2 + HEADER_PX + Math.max(matrix.rows.length, 1) * (CELL_PX + GAP_PX) + legendHeight;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="${FONT}" font-size="11">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
  ];

  const gridLeft = MARGIN_PX + nameWidth;
  const gridTop = MARGIN_PX + HEADER_PX;
  // Label every column when they fit, else every seventh day, so a year stays readable.
  const labelEvery = matrix.columns.length <= 31 ? 1 : 7;
  matrix.columns.forEach((column, index) => {
    if ((matrix.columns.length - 1 - index) % labelEvery !== 0) return;
    const x = gridLeft + index * (CELL_PX + GAP_PX) + CELL_PX / 2;
    parts.push(
      `<text x="${x}" y="${gridTop - 6}" transform="rotate(-60 ${x} ${gridTop - 6})" fill="#1f2328">${escapeXml(column.date.slice(5))}${column.shortCommit ? ` ${escapeXml(column.shortCommit)}` : ''}</text>`,
    );
  });

  if (matrix.rows.length === 0) {
    parts.push(`<text x="${MARGIN_PX}" y="${gridTop + CELL_PX - 4}" fill="#656d76">No builds recorded yet.</text>`);
  }
  matrix.rows.forEach((row, rowIndex) => {
    const y = gridTop + rowIndex * (CELL_PX + GAP_PX);
    parts.push(`<text x="${MARGIN_PX}" y="${y + CELL_PX - 5}" fill="#1f2328">${escapeXml(row.image)}</text>`);
    row.cells.forEach((cell, columnIndex) => {
      const style = OUTCOME_STYLES[cell.outcome];
      const x = gridLeft + columnIndex * (CELL_PX + GAP_PX);
      parts.push(
        `<g><title>${escapeXml(`${row.image} ${cell.date}: ${style.label}`)}</title>` +
          `<rect x="${x}" y="${y}" width="${CELL_PX}" height="${CELL_PX}" rx="2" fill="${style.colour}" stroke="#d0d7de" stroke-width="0.5"/>` +
          `<text x="${x + CELL_PX / 2}" y="${y + CELL_PX - 5}" text-anchor="middle" fill="${textColourOn(style.colour)}">${escapeXml(style.glyph)}</text></g>`,
      );
    });
  });

  const legendTop = height - MARGIN_PX - legendHeight + MARGIN_PX;
  OUTCOMES.forEach((outcome, index) => {
    const style = OUTCOME_STYLES[outcome];
    const legendX = MARGIN_PX + (index % LEGEND_COLUMNS) * LEGEND_COLUMN_PX;
    const legendY = legendTop + Math.floor(index / LEGEND_COLUMNS) * LEGEND_ROW_PX;
    parts.push(
      `<rect x="${legendX}" y="${legendY}" width="12" height="12" rx="2" fill="${style.colour}" stroke="#d0d7de" stroke-width="0.5"/>` +
        `<text x="${legendX + 16}" y="${legendY + 10}" fill="#1f2328">${escapeXml(`${style.glyph} ${outcome}`)}</text>`,
    );
  });
  parts.push('</svg>');
  return parts.join('\n');
}

/** Renders the matrix SVG to a PNG with the fonts installed on the machine. */
export function renderMatrixPng(matrix: DashboardMatrix): Buffer {
  const svg = renderMatrixSvg(matrix);
  const resvg = new Resvg(svg, { font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' }, background: '#ffffff' });
  return resvg.render().asPng();
}
