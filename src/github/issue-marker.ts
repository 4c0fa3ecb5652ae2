/**
 * Returns the hidden HTML comment that ties an issue to a fingerprint. GitHub does
 * not render it, and drydock finds its issues by it, so editing an issue's
 * title or text keeps the link as long as this line stays.
 */
export function fingerprintMarker(fingerprintId: string): string {
  return `<!-- drydock-fingerprint: ${fingerprintId} -->`;
}

/** Reads the fingerprint id from an issue body, or undefined when it has no marker. */
export function readFingerprintMarker(body: string | null | undefined): string | undefined {
  return /<!-- drydock-fingerprint: ([0-9a-f]+) -->/.exec(body ?? '')?.[1];
}

/** Returns the hidden line naming the run a text reports on, so one run is never reported twice on an issue. */
export function runMarker(runId: string): string {
  return `<!-- drydock-run: ${runId} -->`;
}
