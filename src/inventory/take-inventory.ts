import type Docker from 'dockerode';
import { z } from 'zod';
import type { LogFile } from '../build/log-file.js';
import type { Logger } from '../logger.js';
import { runContainer } from '../validate/run-container.js';
import type { Inventory, PythonEnvironment } from './types.js';

/** Listing packages takes seconds; a minute more than that means the image hangs. */
const INVENTORY_TIMEOUT_MS = 5 * 60_000;
/** Output above this size is not an inventory but a runaway program. */
const MAX_OUTPUT_CHARS = 32 * 1024 * 1024;

const PipList = z.array(z.object({ name: z.string(), version: z.string() }));

/**
 * Lists what an image contains, in a fresh container without network: the
 * OS release, the Debian packages from dpkg-query, and the packages of each
 * Python environment: the one VIRTUAL_ENV declares, the configured
 * virtualenvs, and python3 on PATH. pip lists them where it is installed,
 * importlib.metadata where it is not.
 */
export async function takeInventory(
  docker: Docker,
  options: { image: string; virtualenvs: string[]; labels: Record<string, string>; log: LogFile; signal: AbortSignal; logger: Logger },
): Promise<{ inventory: Inventory } | { error: string }> {
  let output = '';
  const outcome = await runContainer(docker, {
    image: options.image,
    command: inventoryScript(options.virtualenvs),
    // Listing installed packages needs no network, and this works on every engine.
    network: 'none',
    labels: options.labels,
    timeoutMs: INVENTORY_TIMEOUT_MS,
    signal: options.signal,
    log: options.log,
    onStdout: (text) => {
      if (output.length < MAX_OUTPUT_CHARS) output += text;
    },
    logger: options.logger,
  });
  if (outcome.status !== 'passed') {
    return { error: `inventory command ${outcome.status === 'failed' ? `exited with code ${outcome.exitCode}` : outcome.error ?? outcome.status}` };
  }
  return { inventory: parseInventoryOutput(output) };
}

/** Builds the inventory script in POSIX shell, so that it also runs on busybox images. */
function inventoryScript(virtualenvs: string[]): string {
  const configured = virtualenvs.map((dir) => shellQuote(`${dir}/bin/python`)).join(' ');
  return `
echo '@@os-release'
cat /etc/os-release 2>/dev/null || cat /usr/lib/os-release 2>/dev/null
echo '@@dpkg'
if command -v dpkg-query >/dev/null 2>&1; then
  dpkg-query -W -f '\${Package}\\t\${Version}\\t\${Status}\\n' 2>/dev/null
fi
candidates=""
if [ -n "$VIRTUAL_ENV" ]; then candidates="$VIRTUAL_ENV/bin/python"; fi
for configured in ${configured}; do candidates="$candidates $configured"; done
system=$(command -v python3 2>/dev/null)
if [ -n "$system" ]; then candidates="$candidates $system"; fi
for py in $candidates; do
  [ -x "$py" ] || continue
  echo "@@python $py"
  echo "@@prefix $("$py" -c 'import sys; print(sys.prefix)' 2>/dev/null)"
  if listed=$("$py" -m pip list --format=json --disable-pip-version-check 2>/dev/null); then
    echo '@@pip'
    printf '%s\\n' "$listed"
  else
    echo '@@importlib'
    "$py" -c 'import importlib.metadata as m, json; print(json.dumps([{"name": d.metadata["Name"], "version": d.version} for d in m.distributions()]))' 2>/dev/null
  fi
done
echo '@@end'
`;
}

/** Parses the output of the inventory script; exported for tests of odd output. */
export function parseInventoryOutput(output: string): Inventory {
  const inventory: Inventory = { osRelease: {}, python: [], debian: {} };
  const prefixes = new Set<string>();
  let section = '';
  let current: { interpreter: string; prefix: string; lister: PythonEnvironment['lister'] } | undefined;

  for (const line of output.split('\n')) {
    if (line.startsWith('@@')) {
      const [marker = '', ...rest] = line.slice(2).split(' ');
      const value = rest.join(' ').trim();
      section = marker;
      if (marker === 'python') current = { interpreter: value, prefix: '', lister: 'pip' };
      if (marker === 'prefix' && current) current.prefix = value;
      if ((marker === 'pip' || marker === 'importlib') && current) current.lister = marker;
      continue;
    }

    if (section === 'os-release') {
      const match = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
      if (match) inventory.osRelease[match[1]!] = unquote(match[2]!);
    } else if (section === 'dpkg') {
      const [name, version, status] = line.split('\t');
      if (name && version && status?.endsWith(' installed')) inventory.debian[name] = version;
    } else if ((section === 'pip' || section === 'importlib') && current && line.trim().startsWith('[')) {
      const packages = parsePackageList(line);
      const key = current.prefix || current.interpreter;
      // python3 on PATH is often the declared virtualenv again; keep the first, more specific entry.
      if (packages && !prefixes.has(key)) {
        prefixes.add(key);
        inventory.python.push({
          interpreter: current.interpreter,
          virtualenv: current.prefix === '' || isSystemPrefix(current.prefix) ? null : current.prefix,
          primary: inventory.python.length === 0,
          packages,
          lister: current.lister,
        });
      }
      current = undefined;
    }
  }
  return inventory;
}

function parsePackageList(line: string): Record<string, string> | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    return undefined;
  }
  const list = PipList.safeParse(parsed);
  if (!list.success) return undefined;
  const packages: Record<string, string> = {};
  for (const { name, version } of list.data) packages[normalizePackageName(name)] = version;
  return packages;
}

/** PEP 503 normalization: `PyYAML` and `pyyaml`, `typing_extensions` and `typing-extensions` are one package. */
export function normalizePackageName(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, '-');
}

function isSystemPrefix(prefix: string): boolean {
  return prefix === '/usr' || prefix === '/usr/local';
}

function unquote(value: string): string {
  const trimmed = value.trim();
  if (trimmed.length >= 2 && (trimmed[0] === '"' || trimmed[0] === "'") && trimmed.endsWith(trimmed[0])) return trimmed.slice(1, -1);
  return trimmed;
}

function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}
