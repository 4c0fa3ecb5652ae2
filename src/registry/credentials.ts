import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { DrydockEnv } from '../config/env.js';

/** Credentials in the shape of the engine's `X-Registry-Auth` header. */
export interface RegistryAuth {
  username: string;
  password: string;
  serveraddress: string;
}

const DOCKER_HUB_KEYS = ['https://index.docker.io/v1/', 'index.docker.io', 'docker.io'];

/**
 * Finds credentials for a registry host: `DRYDOCK_REGISTRY_USERNAME` and
 * `DRYDOCK_REGISTRY_PASSWORD` first, then the `auths` entry of the Docker
 * client's config.json (`$DOCKER_CONFIG` or `~/.docker`). Returns undefined
 * for an anonymous push.
 */
export function findRegistryAuth(registryHost: string, env: DrydockEnv): RegistryAuth | undefined {
  if (env.registryUsername !== undefined && env.registryPassword !== undefined) {
    return { username: env.registryUsername, password: env.registryPassword, serveraddress: registryHost };
  }

  const configDir = env.dockerConfigDir ?? (env.home ? path.join(env.home, '.docker') : undefined);
  if (!configDir) return undefined;

  let auths: Record<string, { auth?: string; username?: string; password?: string }>;
  try {
    auths = (JSON.parse(readFileSync(path.join(configDir, 'config.json'), 'utf8')) as { auths?: typeof auths }).auths ?? {};
  } catch {
    return undefined;
  }

  const keys = registryHost === 'docker.io' ? DOCKER_HUB_KEYS : [registryHost, `https://${registryHost}`, `http://${registryHost}`];
  for (const key of keys) {
    const entry = auths[key];
    if (!entry) continue;
    if (entry.username && entry.password) return { username: entry.username, password: entry.password, serveraddress: registryHost };
    if (entry.auth) {
      const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon > 0) return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1), serveraddress: registryHost };
    }
  }
  // NOTE: credential helpers (credsStore, credHelpers) are not consulted.
  return undefined;
}

/** The registry host of a repository: its first part when that looks like a host, else Docker Hub. */
export function registryHostOf(repository: string): string {
  const first = repository.split('/')[0] ?? '';
  const looksLikeHost = repository.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost');
  return looksLikeHost ? first : 'docker.io';
}
