/** Repository names without a registry become `drydock/<image>` when no staging registry is set. */
export const LOCAL_NAMESPACE = 'drydock';

/** One path component of a repository name, as the distribution spec defines it. */
export const IMAGE_NAME_PATTERN = /^[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*$/;

/** The repository an image is tagged into: `<staging>/<name>`, or `drydock/<name>` without a registry. */
export function repositoryFor(name: string, staging: string | undefined): string {
  return `${staging ?? LOCAL_NAMESPACE}/${name}`;
}

/** Drops the tag and digest of an image reference: `host:5000/a/b:tag@sha256:…` → `host:5000/a/b`. */
export function stripTag(reference: string): string {
  const withoutDigest = reference.split('@')[0] ?? reference;
  const lastSlash = withoutDigest.lastIndexOf('/');
  const colon = withoutDigest.indexOf(':', lastSlash + 1);
  return colon === -1 ? withoutDigest : withoutDigest.slice(0, colon);
}

/** Splits a reference into the repository and the tag, `latest` when none is given. */
export function splitReference(reference: string): { repository: string; tag: string } {
  const repository = stripTag(reference);
  const rest = reference.slice(repository.length);
  const tag = rest.startsWith(':') ? rest.slice(1).split('@')[0]! : 'latest';
  return { repository, tag };
}
