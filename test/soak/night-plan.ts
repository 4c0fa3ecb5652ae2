import { BUSYBOX_IMAGE } from '../helpers/images.js';

/** The soak fixture's images; the names are unique to the soak test, because test files share the engine. */
export const SOAK_IMAGES = ['soak_alpha', 'soak_beta', 'soak_gamma'] as const;

/** How soak_beta's Dockerfile is on a night: fine, or broken in one of two ways with different fingerprints. */
export type BetaState = 'ok' | 'apt' | 'pip';
/** Whether soak_gamma's test command passes on a night. */
export type GammaState = 'ok' | 'failing';

export interface NightPlan {
  night: number;
  beta: BetaState;
  gamma: GammaState;
}

/**
 * The first nights follow a script, so even the short form files an issue,
 * comments on it, has it closed and reopens it. Beta breaks twice with the
 * same fingerprint around a fixed night, then twice with another. Gamma's
 * test fails two nights in a row and once more later.
 */
const PRELUDE: Omit<NightPlan, 'night'>[] = [
  { beta: 'ok', gamma: 'ok' },
  { beta: 'apt', gamma: 'ok' },
  { beta: 'apt', gamma: 'failing' },
  { beta: 'ok', gamma: 'failing' },
  { beta: 'apt', gamma: 'ok' },
  { beta: 'pip', gamma: 'failing' },
  { beta: 'pip', gamma: 'ok' },
  { beta: 'ok', gamma: 'ok' },
];

/** Plans every night: the prelude, then random breakage that lasts a night or more and gets fixed. */
export function planNights(count: number, random: () => number): NightPlan[] {
  const plans: NightPlan[] = [];
  for (let night = 1; night <= count; night++) {
    const scripted = PRELUDE[night - 1];
    if (scripted) {
      plans.push({ night, ...scripted });
      continue;
    }
    const previous = plans[plans.length - 1]!;
    const beta = nextBetaState(previous.beta, random);
    const gamma = nextGammaState(previous.gamma, random);
    plans.push({ night, beta, gamma });
  }
  return plans;
}

/** Breaks a fine beta with chance 0.2, in one of two ways, and fixes a broken one with chance 0.5. */
function nextBetaState(previous: BetaState, random: () => number): BetaState {
  if (previous !== 'ok') return random() < 0.5 ? previous : 'ok';
  if (random() >= 0.2) return 'ok';
  return random() < 0.5 ? 'apt' : 'pip';
}

/** Breaks gamma's test with chance 0.15 and fixes it with chance 0.5. */
function nextGammaState(previous: GammaState, random: () => number): GammaState {
  if (previous === 'ok') return random() < 0.15 ? 'failing' : 'ok';
  return random() < 0.5 ? 'failing' : 'ok';
}

/** Renders the repository files of a night. NIGHT changes every night, so each night builds a new commit. */
export function renderNightFiles(plan: NightPlan): Record<string, string> {
  const betaRun = {
    ok: 'RUN echo soak-beta > /ok',
    apt: 'RUN echo "E: Unable to locate package libsoak-dev" && exit 100',
    pip: 'RUN echo "ERROR: No matching distribution found for soakpkg==9.9" && exit 1',
  }[plan.beta];
  const gammaTest =
    plan.gamma === 'ok' ? 'cat /ok\n' : 'echo "AssertionError: soak gamma self-check failed" >&2\nexit 1\n';
  return {
    'docker/Dockerfile.soak_alpha': `FROM ${BUSYBOX_IMAGE}\nRUN echo soak-alpha > /ok\n`,
    'docker/Dockerfile.soak_beta': `FROM ${BUSYBOX_IMAGE}\n${betaRun}\n`,
    'docker/Dockerfile.soak_gamma': `FROM ${BUSYBOX_IMAGE}\nRUN echo soak-gamma > /ok\n`,
    'tests/gamma.sh': gammaTest,
    NIGHT: `night ${plan.night}\n`,
  };
}

/** A small seeded generator (mulberry32), so a seed repeats a soak run's plan and faults. */
export function createRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let mixed = state;
    mixed = Math.imul(mixed ^ (mixed >>> 15), mixed | 1);
    mixed ^= mixed + Math.imul(mixed ^ (mixed >>> 7), mixed | 61);
    return ((mixed ^ (mixed >>> 14)) >>> 0) / 4294967296;
  };
}
