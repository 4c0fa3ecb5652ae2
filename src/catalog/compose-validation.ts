import path from 'node:path';
import type { Settings } from '../config/load-config.js';
import { discoverCatalog } from './discover-images.js';

/** How to run one image's Compose-derived test command over a checkout, in the form a container request takes. */
export interface ComposeValidationPlan {
  /** A shell command, for `sh -c`. */
  command: string;
  workdir: string;
  /** Host folders of the checkout, by path in the container. */
  mounts: Record<string, string>;
  /** Container paths of `mounts` that the service mounts read-only. */
  readOnly: string[];
  /** `validate.env` with the service's `environment` over it. */
  env: Record<string, string>;
}

/**
 * Plans the test command of `image` from its Compose service, reading the
 * catalog from `checkout` (the commit the image was built from). Returns
 * undefined when `validate.fromCompose` is off, when `validate.tests` names
 * the image, or when its service has no `command:`. Repository bind mounts
 * point into `checkout`. A service without one gets the checkout at
 * `validate.workdir`, and a service without `working_dir` starts in its
 * first repository mount.
 */
export function planComposeValidation(
  settings: Settings,
  checkout: string,
  image: string,
  environment: Record<string, string | undefined> = process.env,
): ComposeValidationPlan | undefined {
  const { validate } = settings;
  if (!validate.fromCompose || validate.tests[image] !== undefined) return undefined;

  const entry = discoverCatalog(settings, checkout, { environment }).images.find((candidate) => candidate.name === image);
  const test = entry?.composeTest;
  if (test === undefined) return undefined;

  const mounts: Record<string, string> = {};
  for (const mount of test.mounts) mounts[mount.target] = path.join(checkout, mount.source);
  if (test.mounts.length === 0) mounts[validate.workdir] = checkout;

  return {
    command: test.command,
    workdir: test.workdir ?? test.mounts[0]?.target ?? validate.workdir,
    mounts,
    readOnly: test.mounts.filter((mount) => mount.readOnly).map((mount) => mount.target),
    env: { ...validate.env, ...test.environment },
  };
}
