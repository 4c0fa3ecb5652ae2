import type { FailureCause } from '../store/types.js';
import type { FailureClass } from './types.js';

/**
 * Log patterns of each class, checked in this order, so that the more
 * specific reading wins: a missing apt key also prints "Failed to fetch",
 * and a compiler killed for memory also prints "make: ***".
 */
export const CLASS_PATTERNS: readonly (readonly [FailureClass, readonly RegExp[]])[] = [
  ['disk-full', [/No space left on device/i, /\bENOSPC\b/, /Disk quota exceeded/i, /You don't have enough free space in/i, /not enough (?:free )?disk space/i]],
  [
    'out-of-memory',
    [
      /(?:^|\s)Killed(?:\s|$)/,
      /Killed signal terminated program/i,
      /returned a non-zero code: 137\b/,
      /exit(?:ed with)? (?:code|status) 137\b/i,
      /Cannot allocate memory/i,
      /\bout of memory\b/i,
      /\bMemoryError\b/,
      /\bOOMKilled\b/,
      /std::bad_alloc/,
      /virtual memory exhausted/i,
    ],
  ],
  [
    'apt-key',
    [
      /\bNO_PUBKEY\b/,
      /\bEXPKEYSIG\b/,
      /\bKEYEXPIRED\b/,
      /\bBADSIG\b/,
      /The following signatures (?:were invalid|couldn't be verified)/i,
      /The repository '.*' is not signed/i,
      /\bGPG error\b/,
      /gpg: .*\b(?:expired|no valid OpenPGP data)/i,
      // apt-key needs GnuPG, which minimal base images leave out, and newer apt releases no longer ship apt-key.
      /gnupg, gnupg2 and gnupg1 do not seem to be installed/,
      /\bapt-key: (?:command )?not found/,
    ],
  ],
  [
    'pip-resolution',
    [
      /No matching distribution found for/i,
      /Could not find a version that satisfies the requirement/i,
      /\bResolutionImpossible\b/,
      /conflicting dependencies/i,
      /pip's dependency resolver/i,
      /requires a different Python/i,
    ],
  ],
  [
    'package-not-found',
    [
      /E: Unable to locate package/,
      /has no installation candidate/,
      /E: Version '.*' for '.*' was not found/,
      /\bPackagesNotFoundError\b/,
      /No package .* available/,
      /Unable to find a match:/,
    ],
  ],
  [
    'registry',
    [
      /pull of base image .* failed/,
      /^push to .* failed/,
      /denied: requested access to the resource is denied/i,
      /pull access denied/i,
      /manifest unknown/i,
      /\btoomanyrequests\b/i,
      /unauthorized: authentication required/i,
      /blob upload (?:unknown|invalid)/i,
      /received unexpected HTTP status: 5\d\d/i,
      // The engine pulls a missing FROM or COPY --from image itself, and its error names the registry API request that failed.
      /\bGet "?https?:\/\/[^\s"/]+\/v2\/[^\s"]*"?: /,
    ],
  ],
  [
    'network',
    [
      /\bcurl: \((?:6|7|18|22|28|35|52|56)\)/,
      /\b(?:ERROR|HTTP Error) [45]\d\d\b/,
      /\b404 Not Found\b/,
      /server returned error: HTTP\/\S+ [45]\d\d/i,
      /Could not resolve host/i,
      /Temporary failure (?:resolving|in name resolution)/i,
      /Name or service not known/i,
      /\bFailed to fetch\b/,
      /Connection refused/i,
      /Connection (?:timed out|reset by peer)/i,
      /Network is unreachable/i,
      /can't connect to remote host/i,
      /unable to access 'https?:/i,
      /\b(?:ReadTimeoutError|NewConnectionError|ConnectTimeoutError)\b/,
      /SSL certificate problem/i,
      /TLS handshake timeout/i,
      /\bdial tcp\b.*: (?:no such host|i\/o timeout)/,
    ],
  ],
  [
    'compiler',
    [
      /:\d+(?::\d+)?: (?:fatal )?error:/,
      /\bfatal error:/,
      /undefined reference to/,
      /collect2: error/,
      /\bld returned \d+ exit status/,
      /\bmake(?:\[\d+\])?: \*\*\*/,
      /^CMake Error/,
      /ninja: build stopped/,
      /^error\[E\d+\]/,
      /error: command '.*' failed with exit (?:code|status)/,
    ],
  ],
  [
    'test-failure',
    [/^FAILED /, /^=+ .*\b\d+ failed\b.* =+$/, /^=+ FAILURES =+$/, /\bAssertionError\b/, /^FAIL:? /, /\bTests? failed\b/i],
  ],
  ['timeout', [/\btimed out after\b/i, /\bdeadline exceeded\b/i]],
  [
    'engine',
    [/Cannot connect to the Docker daemon/i, /error during connect/i, /connection to the engine lost/i, /failed to create shim/i, /\bOCI runtime\b/],
  ],
];

/** The causes that name the class by themselves, whatever the log says. */
const CLASS_FOR_CAUSE: Partial<Record<FailureCause, FailureClass>> = {
  timeout: 'timeout',
  registry: 'registry',
  engine: 'engine',
};

/** Classes a log pattern still wins over the recorded cause with, because they explain it. */
const STRONGER_THAN_CAUSE = new Set<FailureClass>(['disk-full', 'out-of-memory']);

/**
 * Picks the class of a failure from its error lines and recorded cause.
 * A full disk or memory exhaustion wins over everything; then a timeout,
 * registry or engine cause; then the first matching pattern class.
 */
export function classifyFailure(lines: readonly string[], cause: FailureCause | null): FailureClass {
  const matched = CLASS_PATTERNS.filter(([, patterns]) => lines.some((line) => patterns.some((pattern) => pattern.test(line)))).map(
    ([failureClass]) => failureClass,
  );

  const strong = matched.find((failureClass) => STRONGER_THAN_CAUSE.has(failureClass));
  if (strong) return strong;

  const fromCause = cause === null ? undefined : CLASS_FOR_CAUSE[cause];
  if (fromCause) return fromCause;

  // pip reports "no matching distribution" with "(from versions: none)" when it never reached the index.
  if (matched[0] === 'pip-resolution' && matched.includes('network') && lines.some((line) => /\(from versions: none\)/.test(line))) {
    return 'network';
  }
  return matched[0] ?? 'unknown';
}

/** True when a line matches a pattern of any class. */
export function matchesClassPattern(line: string): boolean {
  return CLASS_PATTERNS.some(([, patterns]) => patterns.some((pattern) => pattern.test(line)));
}
