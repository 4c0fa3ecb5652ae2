import { z } from 'zod';

/** Media types of manifests and indexes, from the OCI image spec v1.1 and Docker's image manifest v2 schema 2. */
export const MediaType = {
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
} as const;

/** The Accept header for manifest requests: every type drydock can copy, single-platform and multi-platform. */
export const MANIFEST_ACCEPT = [MediaType.ociIndex, MediaType.dockerManifestList, MediaType.ociManifest, MediaType.dockerManifest].join(', ');

export const INDEX_TYPES: ReadonlySet<string> = new Set([MediaType.dockerManifestList, MediaType.ociIndex]);
export const MANIFEST_TYPES: ReadonlySet<string> = new Set([MediaType.dockerManifest, MediaType.ociManifest]);

/** A content digest as the OCI spec allows it for registries: sha256 or sha512 in lower-case hex. */
export const Digest = z.string().regex(/^(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$/, 'must be a sha256 or sha512 digest');

/** A content descriptor: what a manifest says about a blob or a child manifest. */
export const Descriptor = z.object({
  mediaType: z.string(),
  digest: Digest,
  size: z.number().int().nonnegative(),
  /** Set on foreign (non-distributable) layers, which registries do not hold. */
  urls: z.array(z.string()).optional(),
  platform: z
    .object({ architecture: z.string(), os: z.string(), variant: z.string().optional() })
    .optional(),
});
export type Descriptor = z.infer<typeof Descriptor>;

/** A single-platform image manifest. `mediaType` is optional in OCI manifests; the response's Content-Type then gives it. */
export const ImageManifest = z.object({
  schemaVersion: z.literal(2),
  mediaType: z.string().optional(),
  config: Descriptor,
  layers: z.array(Descriptor),
});
export type ImageManifest = z.infer<typeof ImageManifest>;

/** A multi-platform index (OCI) or manifest list (Docker). */
export const ImageIndex = z.object({
  schemaVersion: z.literal(2),
  mediaType: z.string().optional(),
  manifests: z.array(Descriptor),
});
export type ImageIndex = z.infer<typeof ImageIndex>;

/** The part of an image configuration blob that promotion reads: its labels. */
export const ImageConfig = z.object({
  config: z
    .object({ Labels: z.record(z.string(), z.string()).nullish() })
    .nullish(),
});
export type ImageConfig = z.infer<typeof ImageConfig>;

/** The token endpoint's response (distribution's token authentication spec): `token`, or `access_token` from OAuth2 servers. */
export const TokenResponse = z
  .object({ token: z.string().min(1).optional(), access_token: z.string().min(1).optional() })
  .refine((body) => body.token !== undefined || body.access_token !== undefined, 'has neither token nor access_token');
export type TokenResponse = z.infer<typeof TokenResponse>;

/** The error body of the distribution API. */
export const RegistryErrorBody = z.object({
  errors: z.array(z.object({ code: z.string(), message: z.string().optional() })),
});
