import cron from 'node-cron';
import { z } from 'zod';
import { IMAGE_NAME_PATTERN } from '../catalog/image-reference.js';
import { findRefProblem } from '../source/ref.js';

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
  /** The image's name in the production registry, when it differs from what `production.nameStyle` gives. */
  /** Engine labels the image needs, such as `gpu`; it is built and validated only on engines that have them all. */
  labels: z.array(z.string().regex(/^[a-z0-9][a-z0-9_.-]*$/, 'must be lower-case letters, digits, ".", "_" or "-"')).optional(),
  productionName: z.string().regex(/^[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(\/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*$/, 'must be a repository name in lower case').optional(),
});
export type ImageOverride = z.infer<typeof ImageOverride>;

/** The glob used when `images:` names no source at all. */
export const DEFAULT_DISCOVER_GLOB = 'docker/Dockerfile.*';

/** A repository path component, as the distribution spec defines it, such as `ci_cpu` or `build.ubuntu`. */
const imageName = z
  .string()
  .regex(IMAGE_NAME_PATTERN, 'must be a valid repository name: lower-case letters and digits, separated by ".", "_", "__" or "-"');

const ImageListEntry = z.strictObject({
  name: imageName,
  /** Path of the Dockerfile, relative to the repository root. */
  dockerfile: z.string({ error: 'set it to the path of the Dockerfile, relative to the repository root' }).min(1),
  /** Build context, relative to the repository root; unset means the Dockerfile's folder. */
  context: z.string().min(1).optional(),
  buildArgs: z.record(z.string(), z.string()).optional(),
  target: z.string().min(1).optional(),
  platform: platform.optional(),
});
export type ImageListEntry = z.infer<typeof ImageListEntry>;

const ImagesSection = z
  .strictObject({
    /**
     * Globs of Dockerfiles, relative to the repository root. Unset means
     * `docker/Dockerfile.*` when neither `compose` nor `list` is set, and no glob otherwise.
     */
    discover: z.union([z.string().min(1), z.array(z.string().min(1)).min(1, 'must list at least one glob')]).optional(),
    /** A Compose file, relative to the repository root: every service with a `build:` section is an image. */
    compose: z.string().min(1).optional(),
    /** `service` names Compose images after the service; `image` takes the last path part of the service's `image:`. */
    nameFrom: z.enum(['service', 'image']).default('service'),
    /** Images listed one by one, so one Dockerfile can yield several images with different build arguments. */
    list: z
      .array(ImageListEntry)
      .refine((entries) => new Set(entries.map((entry) => entry.name)).size === entries.length, 'must give each image a different name')
      .optional(),
    /** New names for discovered images, by the name discovery gives, such as `{ Build.Ubuntu: build-ubuntu }`. */
    rename: z.record(z.string().min(1), imageName).default({}),
    /** Globs, each matched against the image name or the Dockerfile path, such as demo_* or docker/Dockerfile.demo_*. */
    exclude: z.array(z.string()).default([]),
    overrides: z.record(z.string(), ImageOverride).default({}),
  });

const absolutePath = z.string().regex(/^\//, 'must be an absolute path inside the container, such as /workspace');

const ValidateSection = z.strictObject({
  /** Mount point of the validated commit's sources in each test container. */
  workdir: absolutePath.default('/workspace'),
  /** Limit for each test command. */
  timeoutMinutes: minutes.default(120),
  /** Docker network mode of test containers; unset keeps the engine's default. */
  network: z.string().min(1).optional(),
  env: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name'), z.string()).default({}),
  /** A glob, relative to the workdir, of the JUnit XML files the test commands write. */
  junit: z
    .string()
    .min(1)
    .refine((pattern) => !pattern.startsWith('/') && !pattern.split('/').includes('..'), 'must be a glob relative to the workdir, without ".."')
    .optional(),
  /** Shell commands to run for each image, by image name, in order. */
  tests: z.record(z.string(), z.array(z.string().min(1)).min(1, 'must list at least one command')).default({}),
  /**
   * Takes the test command of each image without a `tests` entry from its
   * Compose service: `command:`, `working_dir`, `environment` and the mounts
   * of repository folders. Needs `images.compose`.
   */
  fromCompose: z.boolean().default(false),
  /** Images validated at the same time. */
  concurrency: z.number().int().min(1).max(64).default(1),
  inventory: z
    .strictObject({
      /** Virtual environments to list besides the one an image declares through VIRTUAL_ENV. */
      virtualenvs: z.array(absolutePath).default([]),
      /** Images whose Python packages should agree, by group name. Unset means one group of every image that has Python. */
      groups: z.record(z.string(), z.array(z.string().min(1)).min(2, 'must list at least two images')).optional(),
    })
    .prefault({}),
});

const ProductionSection = z.strictObject({
  /** Registry location of the images in use today, as host[:port]/namespace. */
  registry: RegistryLocation,
  /** `same` keeps the image name (ci_cpu); `hyphen` turns underscores into hyphens (ci-cpu). */
  nameStyle: z.enum(['same', 'hyphen']).default('same'),
  tag: z.string().regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/, 'must be a Docker tag').default('latest'),
});

const dockerTag = z.string().regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/, 'must be a Docker tag: letters, digits, "_", "." and "-", up to 128 characters');

/** The line pattern a tag-bump pull request uses when `promote.pullRequest.pattern` is unset: any `<production repository>:<tag>`. */
export const DEFAULT_BUMP_PATTERN = '(?<![\\w./-]){repository}:(?<tag>[\\w][\\w.-]{0,127})';

const PullRequestSection = z.strictObject({
  /** The repository to open the pull request in, as owner/name; unset means github.repo. */
  repo: z.string().regex(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/, 'must be owner/name, such as apache/tvm').optional(),
  /** The file that names the CI image tags, relative to the repository root, such as ci/jenkins/docker-images.ini. */
  path: z
    .string({ error: 'set it to the file that names the image tags, such as ci/jenkins/docker-images.ini' })
    .min(1)
    .refine((file) => !file.startsWith('/') && !file.split('/').includes('..'), 'must be a path relative to the repository root, without ".."'),
  /**
   * A regular expression (JavaScript syntax, multi-line) that finds the tag to
   * replace, in a named group `tag`. `{image}` stands for the image name and
   * `{repository}` for its production repository, both matched literally.
   */
  pattern: z
    .string()
    .superRefine((pattern, context) => {
      if (!pattern.includes('(?<tag>')) context.addIssue({ code: 'custom', message: 'must capture the tag in a named group (?<tag>...)', input: pattern });
      try {
        new RegExp(pattern.replaceAll('{image}', 'x').replaceAll('{repository}', 'x'), 'gm');
      } catch (error) {
        context.addIssue({ code: 'custom', message: `is not a valid regular expression: ${(error as Error).message}`, input: pattern });
      }
    })
    .default(DEFAULT_BUMP_PATTERN),
  /** The branch the pull request merges into; unset means the repository's default branch. */
  base: z.string().min(1).optional(),
  /** The branch drydock commits the bump to; one open pull request from it is updated with each promotion. */
  branch: z.string().regex(/^[A-Za-z0-9._/-]+$/, 'must be a branch name').default('drydock/bump-image-tags'),
});

const PromoteSection = z.strictObject({
  /** `registry` copies the digest through the registry API; `engine` pulls, tags and pushes it with the Docker engine. */
  method: z.enum(['registry', 'engine']).default('registry'),
  /** Production tags that also move to the promoted digest, such as [latest]. */
  extraTags: z.array(dockerTag).default([]),
  /** Opens or updates a pull request that bumps the promoted tag in the file the project's CI reads. */
  pullRequest: PullRequestSection.optional(),
});
export type PromoteSection = z.infer<typeof PromoteSection>;

const EngineEntry = z.strictObject({
  name: z.string().regex(/^[a-z0-9][a-z0-9_.-]*$/, 'must be lower-case letters, digits, ".", "_" or "-"'),
  /** `unix:///path`, `tcp://host:port` (TLS from `tlsDir` or DOCKER_CERT_PATH) or `ssh://user@host`. */
  host: z.string().regex(/^(unix|tcp|ssh):\/\/./, 'must start with unix://, tcp:// or ssh://'),
  slots: z.number().int().min(1).max(64).default(1),
  /** Platforms the engine builds for; unset means the engine's own, read from its version. */
  platforms: z.array(platform).optional(),
  labels: z.array(z.string().regex(/^[a-z0-9][a-z0-9_.-]*$/, 'must be lower-case letters, digits, ".", "_" or "-"')).default([]),
  /** Folder with ca.pem, cert.pem and key.pem for a `tcp://` engine with TLS. */
  tlsDir: z.string().min(1).optional(),
});
export type EngineEntry = z.infer<typeof EngineEntry>;

/** An address to listen on: `host:port`, with an IPv6 host in brackets, such as 127.0.0.1:8080 or [::1]:8080. */
export const ListenAddress = z
  .string()
  .regex(
    /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?):([0-9]{1,5})$/,
    'must be host:port, such as 127.0.0.1:8080 or [::1]:8080',
  )
  .refine((address) => Number(address.slice(address.lastIndexOf(':') + 1)) <= 65535, 'must have a port from 0 to 65535');

const DashboardSection = z.strictObject({
  /** Where `drydock serve` and `drydock bot` serve the dashboard. */
  listen: ListenAddress.default('127.0.0.1:8080'),
  /** The dashboard's address as readers reach it, for links posted elsewhere; unset means http://<listen>. */
  publicUrl: z
    .url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL, such as https://ci.example.org/drydock' })
    .optional(),
});

const GitHubSection = z.strictObject({
  /** The repository that failure issues are filed in. */
  repo: z.string({ error: 'set it to owner/name, such as apache/tvm' }).regex(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/, 'must be owner/name, such as apache/tvm'),
  /** A closed issue of the same fingerprint is reopened when it was closed at most this many days ago; otherwise a new issue is filed. */
  reopenWindowDays: z.number().int().min(0, 'must be a whole number of days, 0 or more').default(14),
  /** File an issue automatically once an image fails this many times in a row with one fingerprint; 0 turns automatic filing off. */
  autoFileAfter: z.number().int().min(0, 'must be a whole number, 0 or more').default(2),
  /** Labels of filed issues. drydock finds its earlier issues by these labels and the fingerprint marker in the body. */
  labels: z.array(z.string().min(1).max(50)).min(1, 'must list at least one label').default(['drydock']),
});

/** A Discord id: a snowflake of 17 to 20 digits. */
const Snowflake = z.string().regex(/^[0-9]{17,20}$/, 'must be a Discord id of 17 to 20 digits (Developer Mode, then Copy ID)');

const DiscordSection = z.strictObject({
  /** The server whose slash commands the bot registers. */
  guildId: Snowflake,
  /** The channel that receives run summaries and triage threads. */
  channelId: Snowflake,
  /** Who may run the gated commands (rebuild, validate, cancel, oncall set). */
  committers: z
    .strictObject({
      roles: z.array(Snowflake).default([]),
      users: z.array(Snowflake).default([]),
    })
    .prefault({}),
  oncall: z
    .strictObject({
      /** User ids that take turns being on call, in order. */
      rotation: z.array(Snowflake).default([]),
      /** How long each turn lasts. */
      period: z.enum(['daily', 'weekly']).default('weekly'),
      /** The day the first person of the rotation starts, as YYYY-MM-DD in UTC. */
      start: z.string().regex(/^[0-9]{4}-[0-9]{2}-[0-9]{2}$/, 'must be a date as YYYY-MM-DD').default('2024-01-01'),
    })
    .prefault({}),
  /** What `drydock bot` does with a run in flight on SIGTERM: wait for it to finish, or cancel it. */
  onShutdown: z.enum(['finish', 'cancel']).default('cancel'),
  /** Re-queue the unfinished images of a run that a crash interrupted, when the bot starts again. */
  requeueInterrupted: z.boolean().default(false),
  /** The summary message is edited at most once in this many seconds while a run goes on. */
  summaryEditSeconds: z.number().min(1, 'must be 1 second or more').max(300).default(5),
  /** A nightly's final summary shows the dashboard's matrix of this many days as a PNG; 0 attaches none. */
  summaryMatrixDays: z.number().int('must be a whole number of days').min(0, 'must be 0 (no image) or more').max(90, 'must be at most 90 days').default(14),
});
export type DiscordSection = z.infer<typeof DiscordSection>;

const ScheduleSection = z.strictObject({
  /** When the nightly runs, as a five-field cron expression (minute hour day-of-month month day-of-week). */
  cron: z
    .string()
    .refine((expression) => expression.trim().split(/\s+/).length === 5 && cron.validate(expression), 'must be a five-field cron expression, such as "0 5 * * *"')
    .default('0 5 * * *'),
  /** The IANA time zone the cron expression is read in. */
  timezone: z
    .string()
    .refine(isKnownTimeZone, 'must be an IANA time zone, such as UTC or Europe/Berlin')
    .default('UTC'),
  /** False keeps `drydock bot` from running the nightly on its own; commands still work. */
  enabled: z.boolean().default(true),
});

function isKnownTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

export const DrydockConfig = z.strictObject({
  source: z
    .strictObject({
      /**
       * A git URL or a local path; relative paths start at the config file's
       * folder. Unset means the git repository in the current folder.
       */
      repo: z.string({ error: 'set it to a git URL or a local path' }).min(1).optional(),
      /** A branch, tag or commit. Unset means the remote's default branch. */
      ref: z
        .string()
        .superRefine((ref, context) => {
          const problem = findRefProblem(ref);
          if (problem) context.addIssue({ code: 'custom', message: `not a valid git ref: it ${problem}`, input: ref });
        })
        .optional(),
    })
    .optional(),
  images: ImagesSection.prefault({}),
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
  /** Free space required before a run, in the state directory and in each local engine's data root. */
  disk: z.strictObject({ minFreeGb: z.number().min(0).default(10) }).prefault({}),
  retention: z
    .strictObject({
      /** Build and validate logs older than this are compressed with gzip. */
      compressLogsAfterDays: z.number().min(0).default(7),
      /** Log folders of runs older than this are deleted; the store keeps the runs' summaries. */
      deleteLogsAfterDays: z.number().min(1).default(90),
      /** The newest runs' logs are kept up to this many megabytes in all; older ones are deleted first. */
      maxLogMegabytes: z.number().min(1).default(20_480),
      /** Untagged images that drydock built, older than this, are removed after a run. */
      pruneImagesAfterDays: z.number().min(0).default(7),
    })
    .prefault({}),
  validate: ValidateSection.prefault({}),
  /** Docker engines to build and validate on; unset means one engine at DOCKER_HOST. */
  engines: z
    .array(EngineEntry)
    .min(1, 'must list at least one engine, or be left out to use DOCKER_HOST')
    .refine((list) => new Set(list.map((entry) => entry.name)).size === list.length, 'must give each engine a different name')
    .optional(),
  production: ProductionSection.optional(),
  promote: PromoteSection.prefault({}),
  dashboard: DashboardSection.prefault({}),
  github: GitHubSection.optional(),
  discord: DiscordSection.optional(),
  schedule: ScheduleSection.prefault({}),
});
export type DrydockConfig = z.infer<typeof DrydockConfig>;
