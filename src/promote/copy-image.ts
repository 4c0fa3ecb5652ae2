import { DrydockError } from '../errors.js';
import type { FetchedManifest, RegistryClient } from './registry-client.js';
import type { Descriptor } from './registry-schema.js';

/** One side of a copy: a registry client and a repository path on that registry. */
export interface RepositoryLocation {
  client: RegistryClient;
  /** The repository's path on its registry, such as `tlcpack/ci-cpu`. */
  path: string;
}

/** What a copy moved. */
export interface CopyStatistics {
  /** Blobs the target already held. */
  present: number;
  /** Blobs linked from the source repository on the same registry, without moving their bytes. */
  mounted: number;
  /** Blobs streamed from the source registry to the target. */
  copied: number;
  bytesCopied: number;
  /** Manifests written, children of an index included. */
  manifests: number;
}

/** The target registry stored the manifest under another digest than the source's. */
export class DigestMismatchError extends DrydockError {}

/**
 * Copies an image, and for an index every platform image it lists, from one
 * repository to another through the registry API. Blobs go first (mounted
 * when both repositories are on one registry, otherwise streamed), then the
 * manifests with their exact bytes, so the target's manifest digest equals
 * the source's. Each tag is read back and checked against that digest.
 */
export async function copyImageByDigest(
  source: RepositoryLocation,
  target: RepositoryLocation,
  manifest: FetchedManifest,
  tags: string[],
  onProgress: (message: string) => void = () => undefined,
): Promise<CopyStatistics> {
  const statistics: CopyStatistics = { present: 0, mounted: 0, copied: 0, bytesCopied: 0, manifests: 0 };
  const sameRegistry = source.client.host === target.client.host;

  const copyBlob = async (descriptor: Descriptor) => {
    // Foreign layers (Windows base layers) are fetched from their URLs, never from a registry.
    if (descriptor.urls && descriptor.urls.length > 0) return;
    if (await target.client.hasBlob(target.path, descriptor.digest)) {
      statistics.present++;
      return;
    }

    let location: string;
    if (sameRegistry) {
      const mount = await target.client.mountBlob(target.path, descriptor.digest, source.path);
      if (mount.mounted) {
        statistics.mounted++;
        onProgress(`mounted ${descriptor.digest} from ${source.path}`);
        return;
      }
      location = mount.location;
    } else {
      location = await target.client.startUpload(target.path);
    }

    const response = await source.client.openBlob(source.path, descriptor.digest);
    if (!response.body) throw new DrydockError(`the ${source.client.host} registry returned blob ${descriptor.digest} without a body`);
    await target.client.finishUpload(target.path, location, descriptor.digest, descriptor.size, response.body);
    statistics.copied++;
    statistics.bytesCopied += descriptor.size;
    onProgress(`copied ${descriptor.digest} (${descriptor.size} bytes)`);
  };

  const copySingle = async (image: FetchedManifest, references: string[]) => {
    if (image.parsed.kind !== 'manifest') throw new DrydockError(`manifest ${image.digest} is an index inside an index, which drydock does not copy`);
    const { config, layers } = image.parsed.manifest;
    for (const descriptor of [config, ...layers]) await copyBlob(descriptor);
    for (const reference of references) await putChecked(target, reference, image);
    statistics.manifests++;
  };

  if (manifest.parsed.kind === 'index') {
    for (const child of manifest.parsed.index.manifests) {
      const fetched = await source.client.getManifest(source.path, child.digest);
      if (!fetched) throw new DrydockError(`the index ${manifest.digest} lists ${child.digest}, which ${source.client.host}/${source.path} does not hold`);
      await copySingle(fetched, [child.digest]);
    }
    for (const tag of tags) await putChecked(target, tag, manifest);
    statistics.manifests++;
  } else {
    await copySingle(manifest, tags);
  }

  for (const tag of tags) {
    const stored = await target.client.resolveDigest(target.path, tag);
    if (stored !== manifest.digest) {
      throw new DigestMismatchError(`${target.client.host}/${target.path}:${tag} points to ${stored ?? 'nothing'} after the copy, not to ${manifest.digest}`);
    }
  }
  return statistics;
}

async function putChecked(target: RepositoryLocation, reference: string, manifest: FetchedManifest): Promise<void> {
  const digest = await target.client.putManifest(target.path, reference, manifest);
  if (digest !== manifest.digest) {
    throw new DigestMismatchError(`${target.client.host}/${target.path}:${reference} was stored as ${digest}, not as the source's ${manifest.digest}`);
  }
}
