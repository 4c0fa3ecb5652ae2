import path from 'node:path';
import { discoverCatalog, describeOrigin, type Catalog, type CatalogImage } from '../catalog/discover-images.js';
import { readEnv } from '../config/env.js';
import { loadSettings, type Settings } from '../config/load-config.js';
import { createLogger } from '../logger.js';
import { redactSecrets, secretValues } from '../secrets.js';
import { fetchSources } from '../source/fetch-sources.js';

export interface ImagesFlags {
  config?: string;
  repo?: string;
  ref?: string;
  stateDir?: string;
  json?: boolean;
}

/**
 * Fetches the sources as a rebuild does and prints the resolved catalog:
 * each image's source, Dockerfile, context, build arguments, base images,
 * parents and test commands, in build order, then the skipped Compose
 * services. Values of secret environment variables are redacted.
 */
export async function runImagesCommand(flags: ImagesFlags): Promise<number> {
  const env = readEnv();
  const settings = loadSettings(flags, env);
  const logger = createLogger(process.env.DRYDOCK_LOG_LEVEL || 'error');

  const source = await fetchSources({ repo: settings.source.repo, ref: settings.source.ref, stateDir: settings.stateDir }, logger);
  const catalog = discoverCatalog(settings, source.dir);
  const summary = toImagesSummary(catalog, settings, source.dir, source.hash);

  const secrets = secretValues();
  const text = flags.json ? `${JSON.stringify(summary, null, 2)}\n` : formatCatalog(summary);
  process.stdout.write(redactSecrets(text, secrets));
  return 0;
}

type ImagesSummary = ReturnType<typeof toImagesSummary>;

/** Builds the `--json` form of the catalog; paths are relative to the repository root. */
export function toImagesSummary(catalog: Catalog, settings: Settings, sourceDir: string, commit: string) {
  const relative = (target: string) => path.relative(sourceDir, target).split(path.sep).join('/') || '.';
  return {
    commit,
    images: catalog.images.map((image) => ({
      name: image.name,
      source: image.origin,
      dockerfile: relative(image.dockerfile),
      context: relative(image.context),
      buildArgs: image.buildArgs,
      target: image.target ?? null,
      platform: image.platform ?? null,
      labels: image.labels,
      baseImages: image.baseImages,
      parents: image.parents,
      tests: describeTests(image, settings),
    })),
    skipped: catalog.skipped,
    unsetVariables: catalog.unsetVariables,
  };
}

/** Returns the test commands validate runs for the image and where they come from, or null when it runs none. */
function describeTests(image: CatalogImage, settings: Settings) {
  const configured = settings.validate.tests[image.name];
  if (configured) return { from: 'validate.tests' as const, commands: configured };
  if (settings.validate.fromCompose && image.composeTest) return { from: 'compose' as const, ...image.composeTest };
  return null;
}

function formatCatalog(summary: ImagesSummary): string {
  const lines: string[] = [];
  for (const image of summary.images) {
    lines.push(`${image.name}  (${describeOrigin(image.source)})`);
    lines.push(`  dockerfile: ${image.dockerfile}  context: ${image.context}${image.target ? `  target: ${image.target}` : ''}${image.platform ? `  platform: ${image.platform}` : ''}`);
    const args = Object.entries(image.buildArgs).map(([name, value]) => `${name}=${value}`);
    if (args.length > 0) lines.push(`  build args: ${args.join(' ')}`);
    lines.push(`  base images: ${image.baseImages.join(', ') || '(none)'}`);
    if (image.parents.length > 0) lines.push(`  parents: ${image.parents.join(', ')}`);
    if (image.tests?.from === 'validate.tests') lines.push(...image.tests.commands.map((command) => `  test: ${command}`));
    if (image.tests?.from === 'compose') lines.push(`  test (from Compose): ${image.tests.command}`);
  }
  if (summary.images.length === 0) lines.push('no images found');
  for (const skipped of summary.skipped) lines.push(`skipped service ${skipped.service} in ${skipped.file}: ${skipped.reason}`);
  if (summary.unsetVariables.length > 0) lines.push(`unset Compose variables, replaced with empty strings: ${summary.unsetVariables.join(', ')}`);
  return `${lines.join('\n')}\n`;
}
