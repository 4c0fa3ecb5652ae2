import type { BuildOutcomeRow } from '../store/dashboard-queries.js';

/** What one night meant for one image, as a matrix cell shows it. */
export type Outcome =
  | 'validated'
  | 'built'
  | 'unchanged'
  | 'build-failed'
  | 'validation-failed'
  | 'regression'
  | 'skipped'
  | 'running'
  | 'cancelled'
  | 'not-run';

export interface OutcomeStyle {
  glyph: string;
  /** The tooltip and legend text. */
  label: string;
  /** Fill colour of the cell, as a CSS hex colour. */
  colour: string;
  /** Whether the outcome counts as green, red, or neither for streaks and flips. */
  health: 'green' | 'red' | 'neutral';
}

/** Every outcome with its glyph, so colour-blind readers and plain-text copies keep the meaning. */
export const OUTCOME_STYLES: Record<Outcome, OutcomeStyle> = {
  validated: { glyph: '✓', label: 'built and validated', colour: '#2da44e', health: 'green' },
  built: { glyph: '○', label: 'built, not validated', colour: '#8dd39e', health: 'green' },
  unchanged: { glyph: '=', label: 'unchanged digest', colour: '#afb8c1', health: 'green' },
  'build-failed': { glyph: '✗', label: 'build failed', colour: '#cf222e', health: 'red' },
  'validation-failed': { glyph: '!', label: 'validation failed', colour: '#e16f24', health: 'red' },
  regression: { glyph: '▼', label: 'image regression', colour: '#8250df', health: 'red' },
  skipped: { glyph: '↷', label: 'skipped: its parent image did not build', colour: '#d4a72c', health: 'neutral' },
  running: { glyph: '…', label: 'running', colour: '#54aeff', health: 'neutral' },
  cancelled: { glyph: '⊘', label: 'cancelled', colour: '#6e7781', health: 'neutral' },
  'not-run': { glyph: '·', label: 'not run', colour: '#f6f8fa', health: 'neutral' },
};

/** Outcomes in legend order. */
export const OUTCOMES = Object.keys(OUTCOME_STYLES) as Outcome[];

/**
 * Classifies a build and its newest validation. A failure outranks
 * everything else, and a build that is still going, or a validation that is,
 * shows as running. `previousIdentity` is the image id (else digest) of the
 * image's previous successful build, for the unchanged-digest case.
 */
export function classifyBuild(build: BuildOutcomeRow, previousIdentity: string | undefined): Outcome {
  switch (build.status) {
    case 'pending':
    case 'running':
      // A run that died without finishing leaves its images pending forever; they did not run to the end.
      return build.runStatus === 'running' ? 'running' : 'cancelled';
    case 'failed':
      return 'build-failed';
    case 'skipped':
      return 'skipped';
    case 'cancelled':
      return 'cancelled';
    case 'succeeded':
      break;
  }

  switch (build.validateStatus) {
    case 'failed':
    case 'error':
      return build.regression ? 'regression' : 'validation-failed';
    case 'pending':
    case 'running':
      return 'running';
    case 'cancelled':
      return 'cancelled';
    default:
      break;
  }

  const identity = build.imageId ?? build.digest;
  if (identity !== null && identity === previousIdentity) return 'unchanged';
  return build.validateStatus === 'passed' ? 'validated' : 'built';
}
