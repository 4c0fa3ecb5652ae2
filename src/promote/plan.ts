import type { DrydockEnv } from '../config/env.js';
import type { Settings } from '../config/load-config.js';
import { IMAGE_NAME_PATTERN, repositoryFor, stripTag } from '../catalog/image-reference.js';
import { ConfigError } from '../errors.js';
import type { Store } from '../store/store.js';
import { productionReference } from '../validate/image-source.js';
import type { RepositoryLocation } from './copy-image.js';
import { splitRepository, type FetchedManifest, type RegistryClient } from './registry-client.js';
import { ImageConfig } from './registry-schema.js';
import { createProductionClient, createStagingClient } from './registries.js';

/** Docker's tag grammar. */
export const TAG_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

export interface PromotionRequest {
  image: string;
  /** The staging tag to promote. */
  tag: string;
  /** The production tag to write; unset means the staging tag. */
  as?: string;
  force: boolean;
  /** When set, the staging tag must still point to this digest, as when a confirmation showed it. */
  expectedDigest?: string;
}

/** One condition a promotion needs; `--force` overrides a failed one. */
export interface PromotionCheck {
  name: 'built-by-drydock' | 'validated';
  passed: boolean;
  detail: string;
}

/** The production tag and the digest it points to before the promotion. */
export interface ProductionTagState {
  tag: string;
  reference: string;
  digest: string | undefined;
}

/** Everything a promotion would do, found without changing anything. */
export interface PromotionPlan {
  image: string;
  stagingReference: string;
  digest: string;
  mediaType: string;
  /** `os/arch[/variant]` of each image in an index; empty for a single-platform manifest. */
  platforms: string[];
  productionRepository: string;
  productionTags: string[];
  build: { runId: string; commit: string | null } | undefined;
  validation: { runId: string; status: string; finishedAt: string | null } | undefined;
  checks: PromotionCheck[];
  /** Why the promotion is refused without `--force`, and how to go on; undefined when every check passed. */
  refusal: string | undefined;
  /** What each production tag points to now; filled only when the promotion is not refused or is forced. */
  current: ProductionTagState[];
  manifest: FetchedManifest;
  staging: RepositoryLocation;
  production: RepositoryLocation;
}

export interface PlanDependencies {
  settings: Settings;
  env: DrydockEnv;
  store: Store;
  fetch?: typeof fetch;
}

type Row = Record<string, unknown>;

/**
 * Resolves a promotion request: the digest of the staging tag, its labels,
 * the build and validation on record for that digest, and what the
 * production tags point to now. Changes nothing. Throws a `ConfigError` for
 * bad input and missing configuration.
 */
export async function planPromotion(dependencies: PlanDependencies, request: PromotionRequest): Promise<PromotionPlan> {
  const { settings, env, store } = dependencies;
  checkRequest(request);
  const staging = settings.registry.staging;
  if (staging === undefined) {
    throw new ConfigError('no staging registry is configured, so there is nothing to promote from', {
      fix: 'set registry.staging in drydock.yml (or DRYDOCK_STAGING_REGISTRY) to the registry drydock rebuild pushes to',
    });
  }
  const production = productionReference(settings, request.image);
  if (production === undefined) {
    throw new ConfigError('no production registry is configured, so there is nowhere to promote to', {
      fix: 'set production.registry in drydock.yml, such as production: { registry: 127.0.0.1:5001/ci, nameStyle: hyphen }',
    });
  }

  const stagingRepository = repositoryFor(request.image, staging);
  const productionRepository = stripTag(production);
  const stagingSide = locate(stagingRepository, (host) => createStagingClient(host, env, dependencies.fetch));
  const productionSide = locate(productionRepository, (host) => createProductionClient(host, env, dependencies.fetch));
  const stagingReference = `${stagingRepository}:${request.tag}`;

  const manifest = await stagingSide.client.getManifest(stagingSide.path, request.tag);
  if (!manifest) throw unknownTag(store, request, stagingReference);
  if (request.expectedDigest !== undefined && manifest.digest !== request.expectedDigest) {
    throw new ConfigError(`${stagingReference} now points to ${manifest.digest}, not to ${request.expectedDigest} as it did when the promotion was requested`, {
      fix: 'request the promotion again to see and confirm the new digest',
    });
  }

  const labels = await readLabels(stagingSide, manifest);
  const builds = findBuilds(store, request.image, manifest.digest);
  const { build: labelledBuild, ...builtCheck } = checkBuiltByDrydock(request.image, manifest.digest, labels, builds);
  const build = labelledBuild ?? builds[0];
  const validation = build ? findValidation(store, build.runId, request.image) : undefined;
  const checks = [builtCheck, checkValidated(request, build, validation)];

  const productionTags = [...new Set([request.as ?? request.tag, ...settings.promote.extraTags])];
  const refusal = describeRefusal(request, stagingReference, manifest.digest, checks);
  const current: ProductionTagState[] = [];
  if (refusal === undefined || request.force) {
    for (const tag of productionTags) {
      current.push({ tag, reference: `${productionRepository}:${tag}`, digest: await productionSide.client.resolveDigest(productionSide.path, tag) });
    }
  }

  return {
    image: request.image,
    stagingReference,
    digest: manifest.digest,
    mediaType: manifest.mediaType,
    platforms: manifest.parsed.kind === 'index' ? manifest.parsed.index.manifests.flatMap((entry) => (entry.platform ? [formatPlatform(entry.platform)] : [])) : [],
    productionRepository,
    productionTags,
    build: build ? { runId: build.runId, commit: build.commit } : undefined,
    validation,
    checks,
    refusal,
    current,
    manifest,
    staging: stagingSide,
    production: productionSide,
  };
}

function checkRequest(request: PromotionRequest): void {
  if (!IMAGE_NAME_PATTERN.test(request.image)) {
    throw new ConfigError(`"${request.image}" is not an image name`, { fix: 'give the image as drydock names it, such as ci_cpu: lower-case letters and digits, separated by ".", "_", "__" or "-"' });
  }
  if (!TAG_PATTERN.test(request.tag)) {
    throw new ConfigError(`--tag "${request.tag}" is not a valid Docker tag`, { fix: 'give a staging tag such as 2026-01-31-05-00-00-abc1234: letters, digits, "_", "." and "-", up to 128 characters' });
  }
  if (request.as !== undefined && !TAG_PATTERN.test(request.as)) {
    throw new ConfigError(`--as "${request.as}" is not a valid Docker tag`, { fix: 'give a production tag of letters, digits, "_", "." and "-", up to 128 characters, or leave --as out to keep the staging tag' });
  }
}

function locate(repository: string, createClient: (host: string) => RegistryClient): RepositoryLocation {
  const { host, path } = splitRepository(repository);
  return { client: createClient(host), path };
}

/** The error for a tag the staging registry does not hold: an unknown image when drydock never built one of that name. */
function unknownTag(store: Store, request: PromotionRequest, stagingReference: string): ConfigError {
  const known = (store.db.prepare('SELECT DISTINCT image FROM image_results ORDER BY image').all() as { image: string }[]).map((row) => row.image);
  if (!known.includes(request.image)) {
    return new ConfigError(`no image is named ${request.image}: drydock has never built it and the staging registry has no ${stagingReference}`, {
      fix: known.length > 0 ? `name one of the images drydock built: ${known.join(', ')}` : 'run drydock rebuild first, then promote one of its images',
    });
  }
  const tags = (store.db.prepare("SELECT tags FROM image_results WHERE image = ? AND status = 'succeeded' ORDER BY started_at DESC LIMIT 3").all(request.image) as { tags: string }[])
    .flatMap((row) => JSON.parse(row.tags) as string[])
    .map((reference) => reference.slice(stripTag(reference).length + 1))
    .filter((tag) => tag !== 'latest');
  return new ConfigError(`the staging registry has no ${stagingReference}`, {
    fix: tags.length > 0 ? `give a tag that drydock pushed, such as ${tags.join(' or ')}` : 'give a tag that drydock rebuild pushed to the staging registry',
  });
}

/** The labels of the image, or of every platform image of an index, merged; a label that differs between platforms is dropped. */
async function readLabels(staging: RepositoryLocation, manifest: FetchedManifest): Promise<Record<string, string>> {
  const configs: string[] = [];
  if (manifest.parsed.kind === 'manifest') {
    configs.push(manifest.parsed.manifest.config.digest);
  } else {
    for (const child of manifest.parsed.index.manifests) {
      const fetched = await staging.client.getManifest(staging.path, child.digest);
      if (fetched?.parsed.kind === 'manifest') configs.push(fetched.parsed.manifest.config.digest);
    }
  }

  const labelSets: Record<string, string>[] = [];
  for (const digest of configs) {
    const parsed = ImageConfig.safeParse(await staging.client.readJsonBlob(staging.path, digest));
    labelSets.push(parsed.success ? (parsed.data.config?.Labels ?? {}) : {});
  }
  const [first = {}, ...rest] = labelSets;
  return Object.fromEntries(Object.entries(first).filter(([key, value]) => rest.every((labels) => labels[key] === value)));
}

interface BuildOnRecord {
  runId: string;
  commit: string | null;
}

function findBuilds(store: Store, image: string, digest: string): BuildOnRecord[] {
  const rows = store.db
    .prepare(
      `SELECT i.run_id, r.commit_hash FROM image_results i JOIN runs r ON r.id = i.run_id
       WHERE i.image = ? AND i.digest = ? AND i.status = 'succeeded' ORDER BY r.started_at DESC`,
    )
    .all(image, digest) as Row[];
  return rows.map((row) => ({ runId: row.run_id as string, commit: row.commit_hash as string | null }));
}

function checkBuiltByDrydock(image: string, digest: string, labels: Record<string, string>, builds: BuildOnRecord[]): PromotionCheck & { build?: BuildOnRecord } {
  const runLabel = labels['drydock.run-id'];
  if (builds.length === 0) {
    const detail = runLabel
      ? `the store has no build of ${image} with digest ${digest}, although its drydock.run-id label names run ${runLabel}`
      : `the store has no build of ${image} with digest ${digest}, and the image has no drydock.run-id label`;
    return { name: 'built-by-drydock', passed: false, detail };
  }
  const build = builds.find((entry) => entry.runId === runLabel);
  if (!build) {
    return { name: 'built-by-drydock', passed: false, detail: `the store records ${digest} from run ${builds[0]!.runId}, but the image's drydock.run-id label is ${runLabel ?? 'missing'}` };
  }
  const revision = labels['org.opencontainers.image.revision'];
  if (build.commit !== null && revision !== build.commit) {
    return { name: 'built-by-drydock', passed: false, detail: `run ${build.runId} built commit ${build.commit}, but the image's org.opencontainers.image.revision label is ${revision ?? 'missing'}` };
  }
  const imageLabel = labels['drydock.image'];
  if (imageLabel !== undefined && imageLabel !== image) {
    return { name: 'built-by-drydock', passed: false, detail: `the image's drydock.image label is ${imageLabel}, not ${image}` };
  }
  return { name: 'built-by-drydock', passed: true, detail: `built by run ${build.runId} at commit ${build.commit ?? 'unknown'}; labels and store agree`, build };
}

function findValidation(store: Store, rebuildRunId: string, image: string): PromotionPlan['validation'] {
  const row = store.db
    .prepare('SELECT run_id, status, finished_at FROM validate_images WHERE rebuild_run_id = ? AND image = ? ORDER BY started_at DESC, rowid DESC LIMIT 1')
    .get(rebuildRunId, image) as Row | undefined;
  return row ? { runId: row.run_id as string, status: row.status as string, finishedAt: row.finished_at as string | null } : undefined;
}

/** The newest validation of the build decides, so a build that passed once and failed later is not green. */
function checkValidated(request: PromotionRequest, build: BuildOnRecord | undefined, validation: PromotionPlan['validation']): PromotionCheck {
  if (!build) return { name: 'validated', passed: false, detail: 'no build on record, so no validation either' };
  if (!validation) return { name: 'validated', passed: false, detail: `never validated: run drydock validate --tag ${request.tag} --images ${request.image} first` };
  if (validation.status !== 'passed') {
    return { name: 'validated', passed: false, detail: `the newest validation, run ${validation.runId}, ended ${validation.status}` };
  }
  return { name: 'validated', passed: true, detail: `passed in validate run ${validation.runId}` };
}

function describeRefusal(request: PromotionRequest, stagingReference: string, digest: string, checks: PromotionCheck[]): string | undefined {
  const failed = checks.filter((check) => !check.passed);
  if (failed.length === 0) return undefined;
  const reasons = failed.map((check) => `${check.name === 'built-by-drydock' ? 'not built by drydock' : 'not validated green'} (${check.detail})`);
  return `${stagingReference} (${digest}) is ${reasons.join(' and ')}. Promote it anyway with --force; the store records the override.`;
}

function formatPlatform(platform: { os: string; architecture: string; variant?: string }): string {
  return [platform.os, platform.architecture, platform.variant].filter(Boolean).join('/');
}
