import { execFileSync } from 'node:child_process';

/** A busybox image imported locally by the global setup; build fixtures with `pull: false`. */
export const BUSYBOX_IMAGE = 'drydock-test/busybox:1';

/** Removes images by reference, ignoring ones that do not exist. */
export function removeImages(references: string[]): void {
  for (const reference of references) {
    try {
      execFileSync('docker', ['image', 'rm', '-f', reference], { stdio: 'ignore' });
    } catch {
      // Already gone.
    }
  }
}

/** Returns the labels of a local image. */
export function imageLabels(reference: string): Record<string, string> {
  const output = execFileSync('docker', ['image', 'inspect', '--format', '{{json .Config.Labels}}', reference], { encoding: 'utf8' });
  return JSON.parse(output) as Record<string, string>;
}

/** Ids of the containers, running or stopped, whose command contains `text`. */
export function containersMatching(text: string): string[] {
  const output = execFileSync('docker', ['ps', '-a', '--no-trunc', '--format', '{{.ID}} {{.Command}}'], { encoding: 'utf8' });
  return output
    .split('\n')
    .filter((line) => line.includes(text))
    .map((line) => line.split(' ')[0]!);
}
