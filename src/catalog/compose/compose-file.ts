import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { parseDocument } from 'yaml';
import { ConfigError } from '../../errors.js';
import { parseDotEnv, DotEnvError, type DotEnvEntry } from './dotenv.js';
import { interpolate, InterpolationError } from './interpolate.js';
import { ComposeService } from './schema.js';

/** A Compose file read for its services, with variables already interpolated. */
export interface ComposeFile {
  /** Absolute path. */
  path: string;
  /** Services in file order. */
  services: [name: string, service: ComposeService][];
  /** Looks up a variable as interpolation does: the environment first, then the `.env` file beside the Compose file. */
  lookup: (name: string) => string | undefined;
  unsetVariables: string[];
}

/**
 * Reads the services of a Compose file. YAML anchors, aliases and `<<`
 * merge keys are followed; `x-` extension fields are dropped before
 * interpolation, at the top level and in each service. Only `services:` is
 * interpolated, because drydock reads nothing else.
 */
export function readComposeFile(file: string, displayPath: string, environment: Record<string, string | undefined>): ComposeFile {
  if (!existsSync(file) || !statSync(file).isFile()) {
    throw new ConfigError(`Compose file not found: ${displayPath} (images.compose), looked for ${file}`, {
      fix: 'set images.compose to the path of the Compose file, relative to the repository root',
    });
  }

  const document = parseDocument(readFileSync(file, 'utf8'), { merge: true, prettyErrors: true });
  if (document.errors.length > 0) {
    throw new ConfigError(`invalid YAML in Compose file ${displayPath}: ${document.errors[0]!.message}`, {
      fix: 'correct the YAML syntax at that line',
    });
  }
  let root: unknown;
  try {
    root = document.toJS();
  } catch (error) {
    // The yaml package stops alias bombs (a few lines expanding to gigabytes) here.
    throw new ConfigError(`invalid YAML in Compose file ${displayPath}: ${(error as Error).message}`, { fix: 'write the values out instead of nesting many YAML aliases' });
  }
  if (!isMapping(root) || !isMapping(root.services)) {
    throw new ConfigError(`Compose file ${displayPath} has no services: mapping`, {
      fix: 'point images.compose at a Compose file with a top-level services: section',
    });
  }

  const lookup = createLookup(path.join(path.dirname(file), '.env'), environment, displayPath);
  const unset = new Set<string>();
  const services: ComposeFile['services'] = [];
  for (const [name, raw] of Object.entries(root.services)) {
    if (name.startsWith('x-')) continue;
    const keyPath = `services.${name}`;
    const interpolated = interpolateTree(withoutExtensions(raw), keyPath, displayPath, lookup, unset);
    const parsed = ComposeService.safeParse(interpolated ?? {});
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new ConfigError(`invalid service in Compose file ${displayPath}: ${[keyPath, ...issue.path].join('.')}: ${issue.message}`, {
        fix: 'correct that field as the Compose specification defines it',
      });
    }
    services.push([name, parsed.data]);
  }
  return { path: file, services, lookup, unsetVariables: [...unset].sort() };
}

/**
 * Reads the `.env` file beside the Compose file. Its values may use
 * variables of the environment and of earlier lines; the environment wins
 * over the file, as in Compose.
 */
function createLookup(envFile: string, environment: Record<string, string | undefined>, displayPath: string): (name: string) => string | undefined {
  const fromFile: Record<string, string> = {};
  const lookup = (name: string) => environment[name] ?? fromFile[name];
  if (!existsSync(envFile)) return lookup;

  let entries: DotEnvEntry[];
  try {
    entries = parseDotEnv(readFileSync(envFile, 'utf8'));
  } catch (error) {
    if (!(error instanceof DotEnvError)) throw error;
    throw new ConfigError(`invalid .env beside Compose file ${displayPath}: ${error.message}`, { fix: 'write each line as NAME=value' });
  }

  const unset = new Set<string>();
  for (const { name, value, interpolate: expand } of entries) {
    try {
      fromFile[name] = expand ? interpolate(value, lookup, unset) : value;
    } catch (error) {
      if (!(error instanceof InterpolationError)) throw error;
      throw new ConfigError(`invalid interpolation in the .env beside ${displayPath}, variable ${name}: ${error.message}`, {
        fix: 'write $$ for a literal $, or correct the ${...} expression',
      });
    }
  }
  return lookup;
}

function interpolateTree(
  value: unknown,
  keyPath: string,
  displayPath: string,
  lookup: (name: string) => string | undefined,
  unset: Set<string>,
): unknown {
  if (typeof value === 'string') {
    try {
      return interpolate(value, lookup, unset);
    } catch (error) {
      if (!(error instanceof InterpolationError)) throw error;
      throw new ConfigError(`invalid interpolation in Compose file ${displayPath} at ${keyPath}: ${error.message}`, {
        fix: 'set the variable in the environment or the .env file beside the Compose file, or write $$ for a literal $',
      });
    }
  }
  if (Array.isArray(value)) return value.map((item, index) => interpolateTree(item, `${keyPath}[${index}]`, displayPath, lookup, unset));
  if (isMapping(value)) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, interpolateTree(item, `${keyPath}.${key}`, displayPath, lookup, unset)]));
  }
  return value;
}

/** Drops `x-` extension fields of a service and of its `build:` section. */
function withoutExtensions(service: unknown): unknown {
  if (!isMapping(service)) return service;
  const kept = Object.fromEntries(Object.entries(service).filter(([key]) => !key.startsWith('x-')));
  if (isMapping(kept.build)) kept.build = Object.fromEntries(Object.entries(kept.build).filter(([key]) => !key.startsWith('x-')));
  return kept;
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
