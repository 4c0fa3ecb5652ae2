import type { DrydockEnv } from '../config/env.js';
import { ConfigError } from '../errors.js';
import { findRegistryAuth } from '../registry/credentials.js';
import { RegistryClient, type RegistryCredentials } from './registry-client.js';

const STAGING_VARIABLES = 'DRYDOCK_REGISTRY_USERNAME and DRYDOCK_REGISTRY_PASSWORD';
const PRODUCTION_VARIABLES = 'DRYDOCK_PRODUCTION_REGISTRY_USERNAME and DRYDOCK_PRODUCTION_REGISTRY_PASSWORD';

/** Where a registry's credentials came from, for messages. */
interface FoundCredentials {
  credentials: RegistryCredentials | undefined;
  source: string;
}

/**
 * Finds the production registry's credentials: DRYDOCK_PRODUCTION_REGISTRY_USERNAME
 * and _PASSWORD first, then the Docker client's config.json entry for the
 * host. The staging variables are never sent to production.
 */
export function findProductionCredentials(host: string, env: DrydockEnv): FoundCredentials {
  const { productionRegistryUsername: username, productionRegistryPassword: password } = env;
  if (username !== undefined && password !== undefined) return { credentials: { username, password }, source: PRODUCTION_VARIABLES };
  if (username !== undefined || password !== undefined) {
    const missing = username === undefined ? 'DRYDOCK_PRODUCTION_REGISTRY_USERNAME' : 'DRYDOCK_PRODUCTION_REGISTRY_PASSWORD';
    throw new ConfigError(`${missing} is not set, but its partner is`, { fix: `set both ${PRODUCTION_VARIABLES}, or neither to use the Docker client's config.json` });
  }

  const fromConfig = findRegistryAuth(host, { ...env, registryUsername: undefined, registryPassword: undefined });
  return fromConfig
    ? { credentials: { username: fromConfig.username, password: fromConfig.password }, source: `the Docker client's config.json entry for ${host}` }
    : { credentials: undefined, source: 'nowhere' };
}

export function findStagingCredentials(host: string, env: DrydockEnv): FoundCredentials {
  const auth = findRegistryAuth(host, env);
  if (!auth) return { credentials: undefined, source: 'nowhere' };
  const fromVariables = env.registryUsername !== undefined && env.registryPassword !== undefined;
  return {
    credentials: { username: auth.username, password: auth.password },
    source: fromVariables ? STAGING_VARIABLES : `the Docker client's config.json entry for ${host}`,
  };
}

export function createStagingClient(host: string, env: DrydockEnv, fetchImplementation?: typeof fetch): RegistryClient {
  const found = findStagingCredentials(host, env);
  return new RegistryClient({
    host,
    role: 'staging',
    credentials: found.credentials,
    credentialSource: found.source,
    credentialFix: `set ${STAGING_VARIABLES} to an account that may pull from the staging registry, or log in with docker login ${host}`,
    fetch: fetchImplementation,
  });
}

export function createProductionClient(host: string, env: DrydockEnv, fetchImplementation?: typeof fetch): RegistryClient {
  const found = findProductionCredentials(host, env);
  return new RegistryClient({
    host,
    role: 'production',
    credentials: found.credentials,
    credentialSource: found.source,
    credentialFix: `set ${PRODUCTION_VARIABLES} to an account that may push to the production registry`,
    fetch: fetchImplementation,
  });
}
