import { countPackageChanges } from './package-changes.js';
import type { SuspectRange } from './suspect-range.js';
import type { FailureKind } from './types.js';

/**
 * Writes the one sentence that says where to look: whether the image's own
 * files changed since its last green build, and whether its base images and
 * packages did, such as "The image's inputs did not change; the base image
 * and 3 pip packages did."
 */
export function explainSuspects(range: SuspectRange, kind: FailureKind): string {
  if (range.lastGreen === null) return 'This image has no green build on record to compare with.';
  if (!range.historyAvailable) {
    return `The commits since the last green build (${range.lastGreen.commit.slice(0, 12)}) could not be read from the checkout${describeOthers(range, ', but') ?? ''}.`;
  }

  const others = listOtherChanges(range);
  if (range.changedInputs.length > 0) {
    const files = formatFiles(range.changedInputs);
    const tail = others.length > 0 ? `, and so did ${joinWords(others)}` : '';
    return `The image's inputs changed (${files})${tail}.`;
  }

  if (others.length > 0) {
    return `The image's inputs did not change; ${joinWords(others)} did.`;
  }

  const commits = range.commitCount === 0 ? 'no commits' : `${range.commitCount} ${range.commitCount === 1 ? 'commit' : 'commits'}`;
  const packagesKnown = range.packageChanges !== null ? ', its base image nor its packages' : ' nor its base image';
  const pointer =
    kind === 'validate'
      ? range.commitCount > 0
        ? `so look at the ${commits} in the sources`
        : 'so the failure is not explained by a change drydock can see'
      : 'so look at what the build downloads';
  return `Neither the image's inputs${packagesKnown} changed since the last green build (${commits} since), ${pointer}.`;
}

function listOtherChanges(range: SuspectRange): string[] {
  const phrases: string[] = [];
  const bases = range.baseImageChanges.length;
  if (bases === 1) phrases.push('the base image');
  if (bases > 1) phrases.push(`${bases} base images`);
  if (range.packageChanges) phrases.push(...countPackageChanges(range.packageChanges));
  return phrases;
}

function describeOthers(range: SuspectRange, prefix: string): string | undefined {
  const others = listOtherChanges(range);
  return others.length > 0 ? `${prefix} ${joinWords(others)} changed` : undefined;
}

/** Joins phrases as "a", "a and b" or "a, b and c". */
function joinWords(words: readonly string[]): string {
  if (words.length <= 1) return words[0] ?? '';
  return `${words.slice(0, -1).join(', ')} and ${words.at(-1)}`;
}

/** Lists up to three files, then how many more. */
function formatFiles(files: readonly string[]): string {
  const shown = files.slice(0, 3).join(', ');
  return files.length > 3 ? `${shown} and ${files.length - 3} more` : shown;
}
