import { readFileSync } from 'node:fs';
import path from 'node:path';
import Docker from 'dockerode';
import type { DrydockEnv } from '../config/env.js';
import { ConfigError, ExternalHostError } from '../errors.js';

export const DEFAULT_DOCKER_HOST = 'unix:///var/run/docker.sock';
const PING_TIMEOUT_MS = 10_000;

/** A Docker engine and the address it was reached at, for messages. */
export interface Engine {
  docker: Docker;
  host: string;
}

/**
 * Creates a client for `DOCKER_HOST` (default the local socket). Supports
 * `unix://`, `tcp://` (with TLS from `DOCKER_CERT_PATH` when
 * `DOCKER_TLS_VERIFY` is set) and `ssh://`.
 */
export function connectEngine(env: DrydockEnv): Engine {
  const host = env.dockerHost ?? DEFAULT_DOCKER_HOST;
  let url: URL;
  try {
    url = new URL(host);
  } catch {
    throw new ConfigError(`DOCKER_HOST = ${JSON.stringify(host)} is not a valid address`, {
      fix: 'set DOCKER_HOST to unix:///var/run/docker.sock, tcp://host:2376 or ssh://user@host',
    });
  }

  if (url.protocol === 'unix:') return { docker: new Docker({ socketPath: url.pathname }), host };
  if (url.protocol === 'ssh:') {
    return {
      docker: new Docker({ protocol: 'ssh', host: url.hostname, port: url.port || 22, username: url.username || undefined }),
      host,
    };
  }
  if (url.protocol === 'tcp:' || url.protocol === 'http:' || url.protocol === 'https:') {
    const tls = env.dockerTlsVerify || url.protocol === 'https:';
    const certs = tls ? readTlsFiles(env.dockerCertPath ?? path.join(env.home ?? '', '.docker')) : {};
    return {
      docker: new Docker({ protocol: tls ? 'https' : 'http', host: url.hostname, port: url.port || (tls ? 2376 : 2375), ...certs }),
      host,
    };
  }
  throw new ConfigError(`DOCKER_HOST = ${JSON.stringify(host)} uses the unsupported scheme ${url.protocol}`, {
    fix: 'use unix://, tcp:// or ssh://',
  });
}

function readTlsFiles(dir: string): { ca: Buffer; cert: Buffer; key: Buffer } {
  try {
    return {
      ca: readFileSync(path.join(dir, 'ca.pem')),
      cert: readFileSync(path.join(dir, 'cert.pem')),
      key: readFileSync(path.join(dir, 'key.pem')),
    };
  } catch (error) {
    throw new ConfigError(`TLS files for DOCKER_HOST not readable in ${dir}: ${(error as Error).message}`, {
      fix: 'set DOCKER_CERT_PATH to the folder holding ca.pem, cert.pem and key.pem',
    });
  }
}

/** Checks that the engine answers, so a dead engine fails the run once instead of every image. */
export async function pingEngine(engine: Engine): Promise<void> {
  try {
    await (engine.docker.ping as (options: { abortSignal: AbortSignal }) => Promise<unknown>)({ abortSignal: AbortSignal.timeout(PING_TIMEOUT_MS) });
  } catch (error) {
    throw new ExternalHostError(engine.host, `Docker engine at ${engine.host} is unreachable: ${(error as Error).message}`, {
      fix: 'start the Docker engine, or set DOCKER_HOST to the address of a running one',
      cause: error,
    });
  }
}
