import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { ConfigError } from '../errors.js';
import type { DrydockEnv } from './env.js';
import { DrydockConfig } from './schema.js';

/** Values given on the command line; each one overrides the file and the environment. */
export interface ConfigFlags {
  config?: string;
  repo?: string;
  ref?: string;
  registry?: string;
  stateDir?: string;
}

/** The configuration after flags, environment, file and defaults are merged and checked. */
export interface Settings extends DrydockConfig {
  source: { repo: string; ref?: string };
  /** The file that was read, or undefined when drydock runs on defaults. */
  configPath: string | undefined;
  /** Absolute path of the state directory. */
  stateDir: string;
}

const DEFAULT_CONFIG_FILE = 'drydock.yml';

/** Maps a config key path to the flag that can set it, for error messages. */
const FLAG_FOR_KEY: Record<string, string> = {
  'source.repo': '--repo',
  'source.ref': '--ref',
  'registry.staging': '--registry',
  'state.dir': '--state-dir',
};

/**
 * Loads `drydock.yml` and applies, from lowest to highest precedence: the
 * defaults, the file, the environment, then the flags. Relative paths in the
 * file resolve from the file's folder; paths from flags and the environment
 * resolve from `cwd`.
 */
export function loadSettings(flags: ConfigFlags, env: DrydockEnv, cwd = process.cwd()): Settings {
  const configPath = findConfigFile(flags, env, cwd);
  const raw = configPath ? readConfigFile(configPath) : {};
  const fileDir = configPath ? path.dirname(configPath) : cwd;

  const fromFile = {
    repo: getPath(raw, ['source', 'repo']),
    stateDir: getPath(raw, ['state', 'dir']),
  };
  // A --ref flag alone needs no repo, because the default '.' applies as it does when the file has no source.
  if (flags.ref !== undefined && flags.repo === undefined && fromFile.repo === undefined) {
    setPath(raw, ['source', 'repo'], '.');
  }

  const origins = new Map<string, string>();
  const override = (keys: string[], candidates: [value: string | undefined, origin: string][]) => {
    const chosen = candidates.find(([value]) => value !== undefined);
    if (!chosen) return;
    setPath(raw, keys, chosen[0]);
    origins.set(keys.join('.'), chosen[1]);
  };
  override(['registry', 'staging'], [[flags.registry, '--registry'], [env.stagingRegistry, 'DRYDOCK_STAGING_REGISTRY']]);
  override(['state', 'dir'], [[flags.stateDir, '--state-dir'], [env.stateDir, 'DRYDOCK_STATE_DIR']]);
  override(['source', 'repo'], [[flags.repo, '--repo']]);
  override(['source', 'ref'], [[flags.ref, '--ref']]);

  const parsed = DrydockConfig.safeParse(raw, { reportInput: true });
  if (!parsed.success) {
    throw new ConfigError(formatIssues(parsed.error.issues, configPath ?? 'the command line', origins), {
      fix: describeConfigFix(parsed.error.issues, configPath, origins),
    });
  }

  const config = parsed.data;
  const repo = config.source?.repo ?? '.';
  const repoFromFile = flags.repo === undefined && fromFile.repo !== undefined;
  const stateFromFile = flags.stateDir === undefined && env.stateDir === undefined && fromFile.stateDir !== undefined;

  return {
    ...config,
    source: {
      repo: isLocalPath(repo) ? path.resolve(repoFromFile ? fileDir : cwd, repo) : repo,
      ref: config.source?.ref,
    },
    configPath,
    stateDir: path.resolve(stateFromFile ? fileDir : cwd, config.state.dir),
  };
}

function findConfigFile(flags: ConfigFlags, env: DrydockEnv, cwd: string): string | undefined {
  const explicit = flags.config ?? env.configPath;
  if (explicit !== undefined) {
    const origin = flags.config !== undefined ? '--config' : 'DRYDOCK_CONFIG';
    const resolved = path.resolve(cwd, explicit);
    if (!existsSync(resolved)) {
      throw new ConfigError(`config file not found: ${resolved} (from ${origin})`, {
        fix: `set ${origin} to the path of an existing drydock.yml, or leave it unset to use ./drydock.yml or the defaults`,
      });
    }
    if (!statSync(resolved).isFile()) {
      throw new ConfigError(`config file ${resolved} (from ${origin}) is not a file`, {
        fix: `set ${origin} to the path of a drydock.yml file, not a folder`,
      });
    }
    return resolved;
  }

  const implicit = path.resolve(cwd, DEFAULT_CONFIG_FILE);
  return existsSync(implicit) ? implicit : undefined;
}

function readConfigFile(file: string): Record<string, unknown> {
  const document = parseDocument(readFileSync(file, 'utf8'), { prettyErrors: true });
  if (document.errors.length > 0) {
    const first = document.errors[0]!;
    throw new ConfigError(`invalid YAML in ${file}: ${first.message}`, { fix: 'correct the YAML syntax at that line' });
  }

  let value: unknown;
  try {
    value = document.toJS();
  } catch (error) {
    // The yaml package stops alias bombs (a few lines expanding to gigabytes) here.
    throw new ConfigError(`invalid YAML in ${file}: ${(error as Error).message}`, { fix: 'write the values out instead of nesting many YAML aliases' });
  }
  if (value === null || value === undefined) return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new ConfigError(`invalid config in ${file}: the top level must be a mapping of keys, got ${describeValue(value)}`, {
      fix: 'start the file with keys such as source:, images: and registry:',
    });
  }
  return value as Record<string, unknown>;
}

/** Words for zod's expected types, as a YAML author would name them. */
const EXPECTED_WORDS: Record<string, string> = {
  object: 'a mapping',
  record: 'a mapping',
  array: 'a list',
  boolean: 'true or false',
  string: 'a string',
  number: 'a number',
};

/**
 * Formats one line per issue: the key path, the value and what is wrong.
 * A value set by a flag or an environment variable names that origin, so the
 * user corrects the right place.
 */
function formatIssues(issues: z.core.$ZodIssue[], origin: string, origins: Map<string, string>): string {
  const lines = issues.map((issue) => {
    const key = issue.path.join('.');
    const flag = FLAG_FOR_KEY[key];
    const where = flag ? `${key} (or ${flag})` : key || '(top level)';

    if (issue.code === 'unrecognized_keys') {
      const prefix = key ? `${key}.` : '';
      const unknown = issue.keys.map((name) => prefix + name).join(', ');
      const known = Object.keys(knownKeysAt(issue.path)).join(', ');
      return `unknown key ${unknown}: remove it or correct its spelling (known keys here: ${known})`;
    }

    const expected = issue.code === 'invalid_type' ? (EXPECTED_WORDS[issue.expected] ?? `a ${issue.expected}`) : '';
    if (issue.code === 'invalid_type' && issue.input === undefined) {
      // zod's own wording starts with "Invalid input"; schema messages with a fix are kept.
      return `${where} is missing: ${issue.message.startsWith('Invalid input') ? `set it to ${expected}` : issue.message}`;
    }

    const value = 'input' in issue ? describeValue(issue.input) : 'nothing';
    const setBy = origins.get(key);
    const assignment = setBy ? `${key} = ${value} (from ${setBy})` : `${where} = ${value}`;
    const reason = issue.code === 'invalid_type' ? `expected ${expected}` : issue.message;
    return `${assignment} is invalid: ${reason}`;
  });
  return `invalid configuration in ${origin}:\n  - ${lines.join('\n  - ')}`;
}

/** Names the places to correct: the flags and variables that set bad values, and the file for the rest. */
function describeConfigFix(issues: z.core.$ZodIssue[], configPath: string | undefined, origins: Map<string, string>): string {
  const places = new Set<string>();
  for (const issue of issues) {
    const setBy = issue.code === 'unrecognized_keys' ? undefined : origins.get(issue.path.join('.'));
    places.add(setBy ?? (configPath ? `edit ${configPath}` : 'the flag'));
  }
  const actions = [...places].map((place) => (place.startsWith('edit ') ? place : `correct ${place}`));
  return `${actions.join(' and ')}, then run the command again`;
}

/** Lists the keys the schema accepts at a path, for "known keys" hints. */
function knownKeysAt(keyPath: PropertyKey[]): Record<string, unknown> {
  let schema: unknown = DrydockConfig;
  for (const part of keyPath) {
    schema = unwrap(schema);
    const shape = (schema as { shape?: Record<string, unknown> }).shape;
    if (shape && typeof part === 'string' && part in shape) {
      schema = shape[part];
      continue;
    }
    const valueType = (schema as { def?: { valueType?: unknown } }).def?.valueType;
    if (!valueType) return {};
    schema = valueType;
  }
  return (unwrap(schema) as { shape?: Record<string, unknown> }).shape ?? {};
}

function unwrap(schema: unknown): unknown {
  let current = schema as { def?: { innerType?: unknown } };
  while (current.def?.innerType) current = current.def.innerType as typeof current;
  return current;
}

function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function getPath(target: Record<string, unknown>, keys: string[]): unknown {
  let current: unknown = target;
  for (const key of keys) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

function setPath(target: Record<string, unknown>, keys: string[], value: unknown): void {
  if (value === undefined) return;

  let current = target;
  for (const key of keys.slice(0, -1)) {
    const next = current[key];
    if (next === null || typeof next !== 'object' || Array.isArray(next)) current[key] = {};
    current = current[key] as Record<string, unknown>;
  }
  current[keys.at(-1)!] = value;
}

/** True for a path on disk, false for a URL or an scp-like `user@host:path`. */
export function isLocalPath(repo: string): boolean {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(repo)) return false;
  return !/^[^/]+@[^/]+:/.test(repo);
}
