/** The definition site of a catalog image. */
export interface ImageOrigin {
  kind: 'glob' | 'compose' | 'list';
  /** The defining file, relative to the repository root: the Dockerfile, the Compose file, or drydock.yml's key for a list entry. */
  file: string;
  /** The Compose service, for `compose` images. */
  service?: string;
  /** The position in `images.list`, for `list` images. */
  index?: number;
}

/** A test command derived from a Compose service, run by validate when `validate.fromCompose` is on. */
export interface ComposeTest {
  /** A shell command, run with `sh -c`; a list-form `command:` is quoted into one. */
  command: string;
  /** The service's `working_dir`; unset means the first repository mount, or `validate.workdir`. */
  workdir: string | undefined;
  environment: Record<string, string>;
  /** Bind mounts of repository folders: `source` is relative to the repository root, `target` a container path. */
  mounts: { source: string; target: string; readOnly: boolean }[];
  /** Volumes of the service that are not used, each with the reason. */
  ignoredVolumes: string[];
}

/** One image as a catalog source yields it, before renaming, overrides and FROM resolution. */
export interface ImageCandidate {
  name: string;
  origin: ImageOrigin;
  /** Absolute path of the Dockerfile. */
  dockerfile: string;
  /** Absolute path of the build context. */
  context: string;
  buildArgs: Record<string, string>;
  target: string | undefined;
  platform: string | undefined;
  /** Other repositories that name this image, such as a Compose service's `image:` without its tag. */
  aliases: string[];
  composeTest: ComposeTest | undefined;
}

/** One image of the catalog, ready to build. */
export interface CatalogImage {
  name: string;
  origin: ImageOrigin;
  /** Absolute path of the Dockerfile. */
  dockerfile: string;
  /** Absolute path of the build context. */
  context: string;
  buildArgs: Record<string, string>;
  target: string | undefined;
  platform: string | undefined;
  /** Engine labels the image needs, such as `gpu`. */
  labels: string[];
  timeoutMinutes: number;
  /** Images from outside the set that the Dockerfile builds on. */
  baseImages: string[];
  /** Names of the images of this run that this one is built FROM. */
  parents: string[];
  /** The references the Dockerfile uses for images of the set, such as `ci_base:latest`, including parents left out by `--images`. */
  parentReferences: { reference: string; parent: string }[];
  /** Repositories besides `<name>`, `drydock/<name>` and `<staging>/<name>` that name this image. */
  aliases: string[];
  composeTest: ComposeTest | undefined;
}

/** A Compose service that is not an image of the catalog. */
export interface SkippedService {
  service: string;
  /** The Compose file, relative to the repository root. */
  file: string;
  reason: string;
}

/** The resolved catalog: images in build order, parents first, and the Compose services left out. */
export interface Catalog {
  images: CatalogImage[];
  skipped: SkippedService[];
  /** Variables that Compose interpolation found unset and replaced with an empty string. */
  unsetVariables: string[];
}
