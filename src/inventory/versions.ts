/**
 * Compares two Python package versions by PEP 440 order: epoch, release
 * numbers, then dev < pre-release (a, b, rc) < final < post. Local labels
 * (`+cpu`) break ties as text. Versions that do not parse compare as text,
 * after every version that does.
 */
export function comparePythonVersions(left: string, right: string): number {
  const a = parsePep440(left);
  const b = parsePep440(right);
  if (!a || !b) {
    if (a) return -1;
    if (b) return 1;
    return left.localeCompare(right);
  }

  return (
    a.epoch - b.epoch ||
    compareReleases(a.release, b.release) ||
    compareTuples(a.phase, b.phase) ||
    a.local.localeCompare(b.local)
  );
}

/** Returns the highest of the versions, by `comparePythonVersions`. */
export function highestVersion(versions: string[]): string | undefined {
  return [...versions].sort(comparePythonVersions).at(-1);
}

interface ParsedVersion {
  epoch: number;
  release: number[];
  /** Sort key of the pre/post/dev parts: [stage, pre number, post number, dev number]. */
  phase: number[];
  local: string;
}

const PEP440 =
  /^v?(?:(\d+)!)?(\d+(?:\.\d+)*)(?:[-_.]?(a|alpha|b|beta|c|rc|pre|preview)[-_.]?(\d*))?(?:-(\d+)|[-_.]?(post|rev|r)[-_.]?(\d*))?(?:[-_.]?dev[-_.]?(\d*))?(?:\+([a-z0-9.]+))?$/i;

const PRE_STAGE: Record<string, number> = { a: 1, alpha: 1, b: 2, beta: 2, c: 3, rc: 3, pre: 3, preview: 3 };

function parsePep440(version: string): ParsedVersion | undefined {
  const match = PEP440.exec(version.trim());
  if (!match) return undefined;
  const [, epoch, release, preLabel, preNumber, implicitPost, postLabel, postNumber, devNumber, local] = match;

  const hasPost = implicitPost !== undefined || postLabel !== undefined;
  const hasDev = devNumber !== undefined;
  // A dev release of a final version sorts before its pre-releases: 1.0.dev1 < 1.0a1 < 1.0.
  let stage = preLabel ? PRE_STAGE[preLabel.toLowerCase()]! : 4;
  if (hasDev && !preLabel && !hasPost) stage = 0;

  return {
    epoch: Number(epoch ?? 0),
    release: release!.split('.').map(Number),
    phase: [
      stage,
      Number(preNumber || 0),
      hasPost ? Number(implicitPost ?? postNumber ?? 0) + 1 : 0,
      hasDev ? Number(devNumber || 0) : Number.MAX_SAFE_INTEGER,
    ],
    local: local ?? '',
  };
}

function compareReleases(a: number[], b: number[]): number {
  const length = Math.max(a.length, b.length);
  for (let index = 0; index < length; index++) {
    const difference = (a[index] ?? 0) - (b[index] ?? 0);
    if (difference !== 0) return difference;
  }
  return 0;
}

function compareTuples(a: number[], b: number[]): number {
  for (let index = 0; index < a.length; index++) {
    const difference = a[index]! - b[index]!;
    if (difference !== 0) return Math.sign(difference);
  }
  return 0;
}
