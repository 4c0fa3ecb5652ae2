import type { ImageDetails as ImagePageDetails } from './image-details.js';
import type { DashboardLinks } from './links.js';
import type { DashboardMatrix } from './matrix-model.js';
import { OUTCOME_STYLES } from './outcome.js';
import { describeCell } from './pages/matrix-page.js';
import type { RunDetails } from './run-details.js';
import type { RunRecord } from '../store/types.js';

/**
 * The JSON forms of the dashboard's data. Server file paths are left out;
 * each log is given as its dashboard URL instead. `href` fields are paths
 * for the pages themselves, `url` fields absolute links built from
 * `dashboard.publicUrl`.
 */
export function matrixToJson(links: DashboardLinks, matrix: DashboardMatrix) {
  return {
    days: matrix.days,
    columns: matrix.columns.map((column) => ({
      ...column,
      commitUrl: column.commitHash === null ? null : links.commit(column.repo, column.commitHash),
    })),
    rows: matrix.rows.map((row) => ({
      image: row.image,
      url: links.absolute(links.image(row.image)),
      badgeUrl: links.absolute(links.badge(row.image)),
      streak: row.streak,
      flips: row.flips,
      cells: row.cells.map((cell) => ({
        ...cell,
        glyph: OUTCOME_STYLES[cell.outcome].glyph,
        label: OUTCOME_STYLES[cell.outcome].label,
        title: describeCell(row.image, cell),
        href: cell.runId === null ? null : links.run(cell.runId),
        url: cell.runId === null ? null : links.absolute(links.run(cell.runId)),
      })),
    })),
  };
}

export function runToJson(links: DashboardLinks, run: RunRecord) {
  return { ...run, url: links.absolute(links.run(run.id)), commitUrl: run.commitHash === null ? null : links.commit(run.repo, run.commitHash) };
}

export function runDetailsToJson(links: DashboardLinks, details: RunDetails) {
  return {
    run: runToJson(links, details.run),
    rebuildRun: details.rebuildRun === null ? null : runToJson(links, details.rebuildRun),
    nightly: details.nightly,
    images: details.images.map((image) => {
      const { build } = image;
      return {
        image: image.image,
        outcome: image.outcome,
        label: OUTCOME_STYLES[image.outcome].label,
        build:
          build === null
            ? null
            : { ...withoutLogPath(build), logUrl: build.logPath === null ? null : links.absolute(links.log(build.runId, build.image, 'build')) },
        validations: image.validations.map(({ record, commands }) => ({
          ...withoutLogPath(record),
          logUrl: record.logPath === null ? null : links.absolute(links.log(record.runId, record.image, 'validate')),
          commands,
        })),
        suspectRange:
          image.suspectRange === null
            ? null
            : {
                ...image.suspectRange,
                compareUrl:
                  image.suspectRange.lastGreen?.commitHash && image.suspectRange.firstRed.commitHash
                    ? links.compare(image.suspectRange.firstRed.repo, image.suspectRange.lastGreen.commitHash, image.suspectRange.firstRed.commitHash)
                    : null,
              },
        packageChanges: image.packageChanges,
        triage: image.triage,
      };
    }),
  };
}

export function imageToJson(links: DashboardLinks, details: ImagePageDetails) {
  const entry = (item: ImagePageDetails['history'][number] | null) =>
    item === null
      ? null
      : {
          runId: item.build.runId,
          url: links.absolute(links.run(item.build.runId)),
          outcome: item.outcome,
          buildStatus: item.build.status,
          validateStatus: item.build.validateStatus,
          validateRunId: item.build.validateRunId,
          startedAt: item.build.startedAt,
          commitHash: item.build.commitHash,
          shortCommit: item.build.shortCommit,
          commitSubject: item.build.commitSubject,
          durationMs: item.build.durationMs,
          sizeBytes: item.build.sizeBytes,
          digest: item.build.digest,
          imageId: item.build.imageId,
          error: item.build.error,
        };
  return {
    image: details.image,
    url: links.absolute(links.image(details.image)),
    badgeUrl: links.absolute(links.badge(details.image)),
    lastGreen: entry(details.lastGreen),
    lastRed: entry(details.lastRed),
    inventory: details.inventory,
    history: details.history.map(entry),
  };
}

function withoutLogPath<T extends { logPath: string | null }>(record: T): Omit<T, 'logPath'> {
  const { logPath: _logPath, ...rest } = record;
  return rest;
}
