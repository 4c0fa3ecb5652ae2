import { existsSync, readFileSync } from 'node:fs';
import { parseEnv } from 'node:util';

/** The environment variables drydock reads, in one place. */
export interface DrydockEnv {
  /** Docker engine address, such as unix:///var/run/docker.sock or tcp://host:2376. */
  dockerHost: string | undefined;
  dockerTlsVerify: boolean;
  dockerCertPath: string | undefined;
  /** Folder holding the Docker client's config.json, for registry credentials. */
  dockerConfigDir: string | undefined;
  registryUsername: string | undefined;
  registryPassword: string | undefined;
  configPath: string | undefined;
  stateDir: string | undefined;
  stagingRegistry: string | undefined;
  /** Credentials for the production registry that `drydock promote` pushes to; never used for staging. */
  productionRegistryUsername: string | undefined;
  productionRegistryPassword: string | undefined;
  /** Token for filing GitHub issues; drydock files none without it. */
  githubToken: string | undefined;
  /** GitHub's REST API address, for GitHub Enterprise Server (default https://api.github.com). */
  githubApiUrl: string | undefined;
  /** The bot's token; without it `drydock bot` schedules and reports to the console only. */
  discordToken: string | undefined;
  /** Discord's REST API address, for a REST proxy (default https://discord.com/api). */
  discordApiUrl: string | undefined;
  home: string | undefined;
}

export function readEnv(env: NodeJS.ProcessEnv = process.env): DrydockEnv {
  const value = (name: string) => (env[name] === '' ? undefined : env[name]);
  return {
    dockerHost: value('DOCKER_HOST'),
    dockerTlsVerify: value('DOCKER_TLS_VERIFY') !== undefined && value('DOCKER_TLS_VERIFY') !== '0',
    dockerCertPath: value('DOCKER_CERT_PATH'),
    dockerConfigDir: value('DOCKER_CONFIG'),
    registryUsername: value('DRYDOCK_REGISTRY_USERNAME'),
    registryPassword: value('DRYDOCK_REGISTRY_PASSWORD'),
    configPath: value('DRYDOCK_CONFIG'),
    stateDir: value('DRYDOCK_STATE_DIR'),
    stagingRegistry: value('DRYDOCK_STAGING_REGISTRY'),
    productionRegistryUsername: value('DRYDOCK_PRODUCTION_REGISTRY_USERNAME'),
    productionRegistryPassword: value('DRYDOCK_PRODUCTION_REGISTRY_PASSWORD'),
    githubToken: value('GITHUB_TOKEN'),
    githubApiUrl: value('GITHUB_API_URL'),
    discordToken: value('DISCORD_TOKEN'),
    discordApiUrl: value('DISCORD_API_URL'),
    home: value('HOME'),
  };
}

/**
 * Adds the variables of a `.env` file to `env`. Variables that are already
 * set win, so the real environment overrides the file.
 */
export function loadDotEnv(path: string, env: NodeJS.ProcessEnv = process.env): void {
  if (!existsSync(path)) return;

  const parsed = parseEnv(readFileSync(path, 'utf8'));
  for (const [name, value] of Object.entries(parsed)) {
    if (env[name] === undefined) env[name] = value;
  }
}
