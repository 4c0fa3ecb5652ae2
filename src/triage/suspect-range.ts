import type { SimpleGit } from 'simple-git';
import { findChangedInputs, readImageInputs, type ImageInputs, type ImageLocation } from './image-inputs.js';
import type { PackageChange } from './package-changes.js';

/** Commits listed in a suspect range; the count still covers all of them. */
export const MAX_SUSPECT_COMMITS = 50;

const FIELD_SEPARATOR = '\x1f';

/** The last build of an image that succeeded, as the suspect range starts from it. */
export interface GreenBuild {
  runId: string;
  commit: string;
  startedAt: string;
  /** Digest of each base image then, by reference. */
  baseImages: Record<string, string | null>;
}

export interface SuspectCommit {
  hash: string;
  shortHash: string;
  subject: string;
  author: string;
  committedAt: string;
}

export interface BaseImageChange {
  reference: string;
  /** Null when the last green build did not use this base image. */
  before: string | null;
  after: string | null;
}

/** What changed between the last green build of an image and a failing one. */
export interface SuspectRange {
  lastGreen: Omit<GreenBuild, 'baseImages'> | null;
  /** The commit of the failing run. */
  commit: string;
  /** The range's commits, newest first, at most `MAX_SUSPECT_COMMITS` of them. */
  commits: SuspectCommit[];
  commitCount: number;
  /** False when git could not read the range, such as when the green commit is gone after a force push. */
  historyAvailable: boolean;
  /** The image's Dockerfile and context files that changed in the range. */
  changedInputs: string[];
  baseImageChanges: BaseImageChange[];
  /** Null when no inventory was compared, such as when the build failed before one could be taken. */
  packageChanges: PackageChange[] | null;
}

export interface SuspectRangeRequest {
  /** A repository that holds both commits, such as the state directory's checkout. */
  git: SimpleGit;
  lastGreen: GreenBuild | null;
  commit: string;
  location: ImageLocation;
  baseImages: Record<string, string | null>;
  packageChanges: PackageChange[] | null;
}

/**
 * Finds the suspect range of a failing image: the commits since its last
 * green build, which of them touched the image's own files (its Dockerfile
 * and what its COPY and ADD lines take from the context, at either end of
 * the range), and which base image digests changed.
 */
export async function findSuspectRange(request: SuspectRangeRequest): Promise<SuspectRange> {
  const { git, lastGreen, commit, location } = request;
  const range: SuspectRange = {
    lastGreen: lastGreen && { runId: lastGreen.runId, commit: lastGreen.commit, startedAt: lastGreen.startedAt },
    commit,
    commits: [],
    commitCount: 0,
    historyAvailable: true,
    changedInputs: [],
    baseImageChanges: lastGreen ? compareBaseImages(lastGreen.baseImages, request.baseImages) : [],
    packageChanges: request.packageChanges,
  };
  if (!lastGreen || lastGreen.commit === commit) return range;

  try {
    const spec = `${lastGreen.commit}..${commit}`;
    range.commitCount = Number((await git.raw(['rev-list', '--count', spec])).trim());
    range.commits = await listCommits(git, spec);

    const changed = (await git.raw(['diff', '--no-renames', '--name-only', lastGreen.commit, commit])).split('\n').filter(Boolean);
    const inputsNow = await readInputsAt(git, commit, location);
    const inputsThen = await readInputsAt(git, lastGreen.commit, location);
    const dockerignore = await showFile(git, commit, joinPath(location.context, '.dockerignore'));
    const found = new Set<string>();
    for (const inputs of [inputsNow, inputsThen]) {
      for (const file of findChangedInputs(changed, inputs, location, dockerignore)) found.add(file);
    }
    range.changedInputs = [...found].sort();
  } catch {
    range.historyAvailable = false;
    range.commits = [];
    range.commitCount = 0;
  }
  return range;
}

/** Lists the base images whose digest differs, including ones added since the green build. */
export function compareBaseImages(before: Record<string, string | null>, after: Record<string, string | null>): BaseImageChange[] {
  const changes: BaseImageChange[] = [];
  for (const reference of Object.keys(after).sort()) {
    const previous = before[reference] ?? null;
    const current = after[reference] ?? null;
    // An unknown digest on either side proves nothing either way.
    if (reference in before && (previous === null || current === null)) continue;
    if (previous !== current) changes.push({ reference, before: previous, after: current });
  }
  return changes;
}

async function listCommits(git: SimpleGit, spec: string): Promise<SuspectCommit[]> {
  const format = ['%H', '%h', '%s', '%an <%ae>', '%cI'].join(FIELD_SEPARATOR);
  const output = await git.raw(['log', `--max-count=${MAX_SUSPECT_COMMITS}`, `--format=${format}`, spec]);
  return output
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [hash = '', shortHash = '', subject = '', author = '', committedAt = ''] = line.split(FIELD_SEPARATOR);
      return { hash, shortHash, subject, author, committedAt };
    });
}

async function readInputsAt(git: SimpleGit, commit: string, location: ImageLocation): Promise<ImageInputs> {
  const text = await showFile(git, commit, location.dockerfile);
  if (text === undefined) return { dockerfile: location.dockerfile, sources: [], wholeContext: false };
  return readImageInputs(text, location);
}

/** The file's text at a commit, or undefined when it did not exist there. */
async function showFile(git: SimpleGit, commit: string, file: string): Promise<string | undefined> {
  try {
    return await git.show([`${commit}:${file}`]);
  } catch {
    return undefined;
  }
}

function joinPath(folder: string, name: string): string {
  return folder === '.' || folder === '' ? name : `${folder.replace(/\/+$/, '')}/${name}`;
}
