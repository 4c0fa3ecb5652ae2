import path from 'node:path';

/**
 * Names the rule of the distribution spec's path-component grammar that
 * `name` breaks, or returns undefined for a valid name. The grammar is
 * lower-case letters and digits, separated by ".", "_", "__" or runs of "-".
 */
export function findNameProblem(name: string): string | undefined {
  if (name === '') return 'is empty';
  if (/[A-Z]/.test(name)) return 'contains upper-case letters, and repository names must be lower-case';

  const bad = /[^a-z0-9._-]/.exec(name)?.[0];
  if (bad !== undefined) return `contains ${JSON.stringify(bad)}, which is not allowed: use lower-case letters, digits, ".", "_", "__" or "-"`;
  if (/^[._-]/.test(name)) return 'starts with a separator, but it must start with a lower-case letter or digit';
  if (/[._-]$/.test(name)) return 'ends with a separator, but it must end with a lower-case letter or digit';

  for (const run of name.match(/[._-]+/g) ?? []) {
    if (run !== '.' && run !== '_' && run !== '__' && !/^-+$/.test(run)) {
      return `has the separators ${JSON.stringify(run)} in a row, but only ".", "_", "__" or a run of "-" may stand between letters and digits`;
    }
  }
  return undefined;
}

/**
 * Derives an image name from a Dockerfile path: `Dockerfile.<name>` and
 * `<name>.dockerfile` give `<name>`, and a plain `Dockerfile` takes the name
 * of its folder. Other file names are used whole.
 */
export function imageNameFromFile(file: string): string {
  const base = path.posix.basename(file);
  if (base.startsWith('Dockerfile.')) return base.slice('Dockerfile.'.length);
  if (/\.dockerfile$/i.test(base)) return base.replace(/\.dockerfile$/i, '');
  if (base === 'Dockerfile') return path.posix.basename(path.posix.dirname(file));
  return base;
}
