import { z } from 'zod';

/** Docker's platform form: `os/arch` or `os/arch/variant`, such as `linux/arm64/v8`. */
const platform = z
  .string()
  .regex(/^[a-z0-9]+\/[a-z0-9_]+(\/[a-z0-9]+)?$/, 'must look like os/arch, such as linux/amd64 or linux/arm64/v8');

const minutes = z.number().positive('must be a number of minutes above 0');

/**
 * A registry location: `namespace` on Docker Hub, or `host[:port]/namespace`.
 * Image names are appended to it.
 */
export const RegistryLocation = z
  .string()
  .regex(
    /^([a-z0-9]([a-z0-9.-]*[a-z0-9])?(:[0-9]{1,5})?\/)?[a-z0-9]+([._-][a-z0-9]+)*(\/[a-z0-9]+([._-][a-z0-9]+)*)*$/,
    'must be host[:port]/namespace (such as 127.0.0.1:5000/ci) or a Docker Hub namespace, in lower case',
  );

const ImageOverride = z.strictObject({
  context: z.string().min(1).optional(),
  dockerfile: z.string().min(1).optional(),
  buildArgs: z.record(z.string(), z.string()).optional(),
  target: z.string().min(1).optional(),
  platform: platform.optional(),
  timeoutMinutes: minutes.optional(),
});
export type ImageOverride = z.infer<typeof ImageOverride>;

export const DrydockConfig = z.strictObject({
  source: z
    .strictObject({
      /** A git URL or a local path; relative paths start at the config file's folder. */
      repo: z.string({ error: 'is required: set it to a git URL or a local path' }).min(1),
      /** A branch, tag or commit. Unset means the remote's default branch. */
      ref: z.string().min(1).optional(),
    })
    .optional(),
  images: z
    .strictObject({
      discover: z.string().min(1).default('docker/Dockerfile.*'),
      exclude: z.array(z.string()).default([]),
      overrides: z.record(z.string(), ImageOverride).default({}),
    })
    .prefault({}),
  build: z
    .strictObject({
      noCache: z.boolean().default(true),
      pull: z.boolean().default(true),
      /** Docker's build network mode; unset keeps the engine's default. */
      network: z.string().min(1).optional(),
      timeoutMinutes: minutes.default(240),
      /** Builds that run at the same time on the engine. */
      concurrency: z.number().int().min(1).max(64).default(1),
    })
    .prefault({}),
  registry: z
    .strictObject({
      staging: RegistryLocation.optional(),
      pushRetries: z.number().int().min(0).max(10).default(3),
    })
    .prefault({}),
  state: z.strictObject({ dir: z.string().min(1).default('.drydock') }).prefault({}),
});
export type DrydockConfig = z.infer<typeof DrydockConfig>;
