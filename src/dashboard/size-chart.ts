import { html, type SafeHtml } from './html.js';
import { formatBytes } from './pages/layout.js';

export interface SizePoint {
  /** ISO time of the build. */
  at: string;
  sizeBytes: number;
}

const WIDTH_PX = 600;
const HEIGHT_PX = 120;
const PADDING_PX = 24;

/** A line chart of image size over time, inline SVG, with the smallest and largest size marked. */
export function renderSizeChart(points: SizePoint[]): SafeHtml {
  if (points.length === 0) return html`<p class="muted">No successful build with a recorded size.</p>`;

  const times = points.map((point) => Date.parse(point.at));
  const sizes = points.map((point) => point.sizeBytes);
  const [firstTime, lastTime] = [Math.min(...times), Math.max(...times)];
  const [smallest, largest] = [Math.min(...sizes), Math.max(...sizes)];
  const x = (time: number) => PADDING_PX + (lastTime === firstTime ? 0.5 : (time - firstTime) / (lastTime - firstTime)) * (WIDTH_PX - 2 * PADDING_PX);
  const y = (size: number) =>
    HEIGHT_PX - PADDING_PX - (largest === smallest ? 0.5 : (size - smallest) / (largest - smallest)) * (HEIGHT_PX - 2 * PADDING_PX);
  const coordinates = points.map((point, index) => `${x(times[index]!).toFixed(1)},${y(point.sizeBytes).toFixed(1)}`).join(' ');

  return html`<svg class="chart" xmlns="http://www.w3.org/2000/svg" width="${WIDTH_PX}" height="${HEIGHT_PX}" viewBox="0 0 ${WIDTH_PX} ${HEIGHT_PX}" role="img" aria-label="image size over time">
<polyline fill="none" stroke="#0969da" stroke-width="1.5" points="${coordinates}"/>
${points.map((point, index) => html`<circle cx="${x(times[index]!).toFixed(1)}" cy="${y(point.sizeBytes).toFixed(1)}" r="2" fill="#0969da"><title>${point.at.slice(0, 10)}: ${formatBytes(point.sizeBytes)}</title></circle>`)}
<text x="4" y="14" font-size="10" fill="#656d76">max ${formatBytes(largest)}</text>
<text x="4" y="${HEIGHT_PX - 4}" font-size="10" fill="#656d76">min ${formatBytes(smallest)}</text>
</svg>`;
}
