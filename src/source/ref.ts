import { ConfigError } from '../errors.js';

/**
 * Rejects a ref that could be read as a git option or that git's
 * check-ref-format rules forbid, before any git command sees it.
 */
export function validateRef(ref: string, origin = 'source.ref'): string {
  const problem = findRefProblem(ref);
  if (problem) {
    throw new ConfigError(`${origin} = ${JSON.stringify(ref)} is not a valid git ref: it ${problem}`, {
      fix: 'use a branch, tag or commit name such as main, v1.2.0 or a commit hash',
    });
  }
  return ref;
}

/** Returns why `ref` is not a usable git ref, such as `starts with "-"`, or undefined when it is. */
export function findRefProblem(ref: string): string | undefined {
  if (ref.length === 0) return 'is empty';
  if (ref.startsWith('-')) return 'starts with "-"';
  if (ref.includes('..')) return 'contains ".."';
  if (/[\s]/.test(ref)) return 'contains white space';
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x1f\x7f]/.test(ref)) return 'contains a control character';
  if (/[~^:?*[\\]/.test(ref)) return 'contains one of ~ ^ : ? * [ \\';
  if (ref.includes('@{')) return 'contains "@{"';
  if (ref === '@') return 'is "@"';
  if (ref.endsWith('.') || ref.endsWith('/') || ref.startsWith('/')) return 'starts or ends with "/" or ends with "."';
  if (ref.includes('//')) return 'contains "//"';
  if (ref.split('/').some((part) => part.startsWith('.') || part.endsWith('.lock'))) {
    return 'has a part that starts with "." or ends with ".lock"';
  }
  return undefined;
}
