import { html } from '../html.js';
import type { DashboardLinks } from '../links.js';
import { renderLayout } from './layout.js';

/** A page for a 4xx or 5xx answer that says what was not found or invalid, and where to go instead. */
export function renderErrorPage(links: DashboardLinks, status: number, message: string): string {
  const heading = status === 404 ? 'Not found' : status === 400 ? 'Bad request' : 'Server error';
  return renderLayout(links, heading, html`<h1>${heading}</h1><p>${message}</p><p><a href="${links.home()}">Back to the matrix</a></p>`);
}
