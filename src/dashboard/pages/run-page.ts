import type { InventoryDiff, PackageChanges } from '../../inventory/reports.js';
import type { RunRecord } from '../../store/types.js';
import type { CommandResultRecord } from '../../store/validate-types.js';
import { html, type SafeHtml } from '../html.js';
import type { DashboardLinks } from '../links.js';
import { OUTCOME_STYLES } from '../outcome.js';
import type { ImageDetails, RunDetails, SuspectRange, ValidationDetails } from '../run-details.js';
import { formatBytes, formatDuration, formatTime, renderCommit, renderLayout } from './layout.js';

/** Most failing test cases listed per command; the rest are counted. */
const MAX_LISTED_FAILURES = 50;

/** Renders a run page: who started it, its commit, and each image's steps, tests, suspects and package changes. */
export function renderRunPage(links: DashboardLinks, details: RunDetails): string {
  const { run } = details;
  const body = html`<h1>Run <code>${run.id}</code></h1>
${renderRunFacts(links, details)}
${run.error === null ? '' : html`<p class="error">${run.error}</p>`}
${details.images.length === 0 ? html`<p class="muted">This run has no image results.</p>` : details.images.map((image) => renderImage(links, image))}`;
  return renderLayout(links, `Run ${run.id}`, body);
}

function renderRunFacts(links: DashboardLinks, details: RunDetails): SafeHtml {
  const { run, rebuildRun, nightly } = details;
  const source = rebuildRun ?? run;
  const related: SafeHtml[] = [];
  if (rebuildRun && rebuildRun.id !== run.id) related.push(html`<dt>rebuild run</dt><dd><a href="${links.run(rebuildRun.id)}">${rebuildRun.id}</a></dd>`);
  if (nightly?.validateRunId) related.push(html`<dt>validate run</dt><dd><a href="${links.run(nightly.validateRunId)}">${nightly.validateRunId}</a></dd>`);
  return html`<dl class="facts">
<dt>kind</dt><dd>${run.kind}</dd>
<dt>status</dt><dd>${run.status}</dd>
<dt>trigger</dt><dd>${run.trigger}${run.triggeredBy === null ? '' : html` by ${run.triggeredBy}`}</dd>
<dt>commit</dt><dd>${renderCommit(links, source)} ${source.commitSubject ?? ''}${source.commitAuthor === null ? '' : html` <span class="muted">(${source.commitAuthor})</span>`}</dd>
<dt>repository</dt><dd>${source.repo ?? '–'}</dd>
<dt>started</dt><dd>${formatTime(run.startedAt)}</dd>
<dt>finished</dt><dd>${formatTime(run.finishedAt)}${run.finishedAt === null ? '' : html` (${formatDuration(Date.parse(run.finishedAt) - Date.parse(run.startedAt))})`}</dd>
${related}
</dl>`;
}

function renderImage(links: DashboardLinks, details: ImageDetails): SafeHtml {
  const style = OUTCOME_STYLES[details.outcome];
  const { build } = details;
  const buildStep = build
    ? html`<tr><td>build and push</td><td>${build.status}</td><td>${formatDuration(build.durationMs)}</td><td>${
        build.logPath === null ? '' : html`<a href="${links.log(build.runId, build.image, 'build')}">log</a>`
      }</td><td>${build.cause === null ? '' : html`cause: ${build.cause}`}${build.failedStep === null ? '' : html`<br>step: <code>${build.failedStep}</code>`}${
        build.error === null ? '' : html`<br><span class="error">${build.error}</span>`
      }</td></tr>`
    : '';
  return html`<section class="image-result" id="image-${details.image}">
<h2><span class="status o-${details.outcome}" title="${style.label}">${style.glyph}</span> <a href="${links.image(details.image)}">${details.image}</a> <span class="muted">${style.label}</span></h2>
${build === null ? '' : html`<p class="muted">${build.tags.join(' ')}${build.digest === null ? '' : html` · ${build.digest}`} · ${formatBytes(build.sizeBytes)}</p>`}
<table class="list"><thead><tr><th>step</th><th>status</th><th>duration</th><th>log</th><th>details</th></tr></thead><tbody>
${buildStep}
${details.validations.map((validation) => renderValidationSteps(links, validation))}
</tbody></table>
${details.validations.flatMap((validation) => validation.commands).map(renderTestResults)}
${details.triage.map(
  (failure) => html`<p>Triage (${failure.kind}): failure class <strong>${failure.failureClass}</strong>, fingerprint <code>${failure.fingerprintId}</code>${
    failure.issueUrl === null || !/^https?:\/\//.test(failure.issueUrl) ? ' · no GitHub issue yet' : html` · <a href="${failure.issueUrl}">GitHub issue${failure.issueNumber === null ? '' : ` #${failure.issueNumber}`}</a>`
  }${failure.explanation === null ? '' : html`<br>${failure.explanation}`}</p>`,
)}
${details.suspectRange === null ? '' : renderSuspectRange(links, details.suspectRange)}
${details.packageChanges === null
    ? ''
    : html`<h3>Package changes since ${details.packageChanges.baselineIsGreen ? 'the last green build' : 'the previous build'} (<a href="${links.run(details.packageChanges.baselineRunId)}">${details.packageChanges.baselineRunId}</a>)</h3>${renderDiff(details.packageChanges.diff)}`}
</section>`;
}

function renderValidationSteps(links: DashboardLinks, validation: ValidationDetails): SafeHtml {
  const { record, commands } = validation;
  const runLink = html`<a href="${links.run(record.runId)}">${record.runId}</a>`;
  const log = record.logPath === null ? '' : html`<a href="${links.log(record.runId, record.image, 'validate')}">log</a>`;
  return html`<tr><td>validate (${runLink})</td><td>${record.status}</td><td>${formatDuration(record.durationMs)}</td><td>${log}</td><td>${
    record.reference === null ? '' : html`<code>${record.reference}</code>`
  }${record.cause === null ? '' : html`<br>cause: ${record.cause}`}${record.error === null ? '' : html`<br><span class="error">${record.error}</span>`}${
    record.inventoryError === null ? '' : html`<br><span class="error">inventory: ${record.inventoryError}</span>`
  }</td></tr>
${commands.map(
  (command) => html`<tr><td>&nbsp;&nbsp;<code>${command.command}</code></td><td>${command.status}${command.exitCode === null ? '' : ` (exit ${command.exitCode})`}</td><td>${formatDuration(
    command.durationMs,
  )}</td><td></td><td>${command.classification === null ? '' : html`failure class: <strong>${command.classification}</strong>`}${
    command.production === null
      ? ''
      : html`<br>on production ${command.production.reference ?? ''}: ${command.production.status ?? 'not run'}${command.production.note === null ? '' : ` (${command.production.note})`}`
  }${command.error === null ? '' : html`<br><span class="error">${command.error}</span>`}</td></tr>`,
)}`;
}

function renderTestResults(command: CommandResultRecord): SafeHtml {
  if (command.junit === null) return html``;
  const { junit } = command;
  const listed = junit.failures.slice(0, MAX_LISTED_FAILURES);
  return html`<h3>Tests of <code>${command.command}</code>: ${junit.passed} passed, ${junit.failed} failed, ${junit.skipped} skipped</h3>
${listed.length === 0
    ? ''
    : html`<table class="list"><thead><tr><th>test</th><th>kind</th><th>message</th></tr></thead><tbody>${listed.map(
        (failure) => html`<tr><td><code>${[failure.classname, failure.name].filter(Boolean).join('.')}</code></td><td>${failure.kind}</td><td>${(failure.message ?? '').slice(0, 500)}</td></tr>`,
      )}</tbody></table>`}
${junit.failures.length > listed.length ? html`<p class="muted">and ${junit.failures.length - listed.length} more failing tests</p>` : ''}`;
}

function renderSuspectRange(links: DashboardLinks, range: SuspectRange): SafeHtml {
  const { lastGreen, firstRed } = range;
  if (lastGreen === null) return html`<h3>Suspect range</h3><p>No green build of this image on record before <a href="${links.run(firstRed.runId)}">${firstRed.runId}</a>.</p>`;
  const compare = lastGreen.commitHash && firstRed.commitHash ? links.compare(firstRed.repo, lastGreen.commitHash, firstRed.commitHash) : null;
  const sameCommit = lastGreen.commitHash !== null && lastGreen.commitHash === firstRed.commitHash;
  return html`<h3>Suspect range</h3>
<p>Last green: <a href="${links.run(lastGreen.runId)}">${lastGreen.runId}</a> at <code>${lastGreen.shortCommit ?? '?'}</code>; first red: <a href="${links.run(firstRed.runId)}">${firstRed.runId}</a> at <code>${firstRed.shortCommit ?? '?'}</code>.
${sameCommit ? ' Both built the same commit, so the change came from outside the sources: a base image or a package download.' : ''}
${compare === null || sameCommit ? '' : html` <a href="${compare}">Compare the commits</a>.`}</p>`;
}

function renderDiff(diff: InventoryDiff): SafeHtml {
  const sections = [
    diff.os === null ? '' : html`<p>OS: ${diff.os.from} → ${diff.os.to}</p>`,
    renderPackageChanges('Python', diff.python),
    renderPackageChanges('Debian', diff.debian),
  ];
  const empty = diff.os === null && countChanges(diff.python) === 0 && countChanges(diff.debian) === 0;
  return empty ? html`<p class="muted">No package changed.</p>` : html`${sections}`;
}

function renderPackageChanges(ecosystem: string, changes: PackageChanges): SafeHtml {
  if (countChanges(changes) === 0) return html``;
  const rows = [
    ...Object.entries(changes.changed).map(([name, change]) => html`<tr><td>${name}</td><td>${change.from}</td><td>${change.to}</td></tr>`),
    ...Object.entries(changes.added).map(([name, version]) => html`<tr><td>${name}</td><td class="muted">added</td><td>${version}</td></tr>`),
    ...Object.entries(changes.removed).map(([name, version]) => html`<tr><td>${name}</td><td>${version}</td><td class="muted">removed</td></tr>`),
  ];
  return html`<h4>${ecosystem} packages (${countChanges(changes)})</h4><table class="list"><thead><tr><th>package</th><th>before</th><th>after</th></tr></thead><tbody>${rows}</tbody></table>`;
}

function countChanges(changes: PackageChanges): number {
  return Object.keys(changes.added).length + Object.keys(changes.removed).length + Object.keys(changes.changed).length;
}

/** Renders the list of runs, newest first. */
export function renderRunsPage(links: DashboardLinks, runs: RunRecord[]): string {
  const body = html`<h1>Runs</h1>
${runs.length === 0
    ? html`<p>No runs recorded yet.</p>`
    : html`<table class="list"><thead><tr><th>run</th><th>kind</th><th>status</th><th>trigger</th><th>commit</th><th>started</th></tr></thead><tbody>${runs.map(
        (run) => html`<tr><td><a href="${links.run(run.id)}">${run.id}</a></td><td>${run.kind}</td><td>${run.status}</td><td>${run.trigger}${
          run.triggeredBy === null ? '' : html` by ${run.triggeredBy}`
        }</td><td>${renderCommit(links, run)} ${run.commitSubject ?? ''}</td><td>${formatTime(run.startedAt)}</td></tr>`,
      )}</tbody></table>`}`;
  return renderLayout(links, 'Runs', body);
}
