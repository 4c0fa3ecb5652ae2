import { z } from 'zod';

/**
 * The parts of a Compose service that drydock reads, after interpolation.
 * Other fields pass through unread. Field names and forms follow the
 * Compose specification (compose-spec.io, "Services top-level elements"
 * and "Compose Build Specification").
 */
const scalar = z.union([z.string(), z.number(), z.boolean()]);

/** `args` and `environment`: a mapping whose null values come from the environment, or a list of `KEY=VALUE` and `KEY`. */
const KeyValues = z.union([z.record(z.string(), scalar.nullable()), z.array(z.string())]);

const ServiceBuild = z.union([
  z.string().min(1),
  z.looseObject({
    context: z.string().min(1).optional(),
    dockerfile: z.string().min(1).optional(),
    dockerfile_inline: z.string().optional(),
    args: KeyValues.optional(),
    target: z.string().min(1).optional(),
    platforms: z.array(z.string().min(1)).optional(),
  }),
]);

const ServiceVolume = z.union([
  z.string().min(1),
  z.looseObject({
    type: z.string(),
    source: z.string().optional(),
    target: z.string().min(1),
    read_only: z.boolean().optional(),
  }),
]);
export type ServiceVolume = z.infer<typeof ServiceVolume>;

export const ComposeService = z.looseObject({
  build: ServiceBuild.optional(),
  image: z.string().min(1).optional(),
  platform: z.string().min(1).optional(),
  command: z.union([z.string(), z.array(scalar)]).nullable().optional(),
  working_dir: z.string().min(1).optional(),
  environment: KeyValues.optional(),
  volumes: z.array(ServiceVolume).optional(),
});
export type ComposeService = z.infer<typeof ComposeService>;

/** Reads `args` or `environment` into a mapping; entries without a value take it from `lookup` and are left out when it has none. */
export function readKeyValues(values: z.infer<typeof KeyValues> | undefined, lookup: (name: string) => string | undefined): Record<string, string> {
  const result: Record<string, string> = {};
  if (values === undefined) return result;

  const entries: [string, string | undefined][] = Array.isArray(values)
    ? values.map((entry) => {
        const equals = entry.indexOf('=');
        return equals === -1 ? [entry, undefined] : [entry.slice(0, equals), entry.slice(equals + 1)];
      })
    : Object.entries(values).map(([name, value]) => [name, value === null ? undefined : String(value)]);

  for (const [name, value] of entries) {
    const resolved = value ?? lookup(name);
    if (resolved !== undefined) result[name] = resolved;
  }
  return result;
}
