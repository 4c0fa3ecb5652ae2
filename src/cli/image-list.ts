import { ConfigError } from '../errors.js';

/** Splits `--images a,b` into names; undefined when the flag is absent. */
export function parseImageNames(value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  const names = value.split(',').map((name) => name.trim()).filter(Boolean);
  if (names.length === 0) {
    throw new ConfigError(`--images = ${JSON.stringify(value)} names no image`, { fix: 'give image names separated by commas, such as ci_cpu,ci_lint' });
  }
  return names;
}
