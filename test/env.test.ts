import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect, test } from 'vitest';
import { loadDotEnv, readEnv } from '../src/config/env.js';

test('readEnv maps each variable', () => {
  const env = readEnv({
    DOCKER_HOST: 'tcp://127.0.0.1:2376',
    DOCKER_TLS_VERIFY: '1',
    DOCKER_CERT_PATH: '/certs',
    DOCKER_CONFIG: '/home/ci/.docker',
    DRYDOCK_REGISTRY_USERNAME: 'robot',
    DRYDOCK_REGISTRY_PASSWORD: 'secret',
    DRYDOCK_CONFIG: 'ci.yml',
    DRYDOCK_STATE_DIR: 'state',
    DRYDOCK_STAGING_REGISTRY: '127.0.0.1:5000/ci',
    HOME: '/home/ci',
  });

  expect(env.dockerHost).toBe('tcp://127.0.0.1:2376');
  expect(env.dockerTlsVerify).toBe(true);
  expect(env.dockerCertPath).toBe('/certs');
  expect(env.dockerConfigDir).toBe('/home/ci/.docker');
  expect(env.registryUsername).toBe('robot');
  expect(env.registryPassword).toBe('secret');
  expect(env.configPath).toBe('ci.yml');
  expect(env.stateDir).toBe('state');
  expect(env.stagingRegistry).toBe('127.0.0.1:5000/ci');
  expect(env.home).toBe('/home/ci');
});

test('readEnv treats empty as unset', () => {
  const env = readEnv({ DOCKER_HOST: '', DRYDOCK_STATE_DIR: '', DOCKER_TLS_VERIFY: '' });

  expect(env.dockerHost).toBeUndefined();
  expect(env.stateDir).toBeUndefined();
  expect(env.dockerTlsVerify).toBe(false);
});

test('DOCKER_TLS_VERIFY=0 turns TLS off', () => {
  expect(readEnv({ DOCKER_TLS_VERIFY: '0' }).dockerTlsVerify).toBe(false);
});

test('loadDotEnv fills unset variables only', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'drydock-env-'));
  const file = path.join(dir, '.env');
  writeFileSync(file, '# credentials\nDRYDOCK_REGISTRY_USERNAME=from-file\nDRYDOCK_REGISTRY_PASSWORD="p#ss word"\n');
  const env: NodeJS.ProcessEnv = { DRYDOCK_REGISTRY_USERNAME: 'from-shell' };

  loadDotEnv(file, env);

  expect(env.DRYDOCK_REGISTRY_USERNAME).toBe('from-shell');
  expect(env.DRYDOCK_REGISTRY_PASSWORD).toBe('p#ss word');
});

test('loadDotEnv ignores a missing file', () => {
  const env: NodeJS.ProcessEnv = {};

  loadDotEnv(path.join(tmpdir(), 'drydock-no-such-dir', '.env'), env);

  expect(env).toEqual({});
});
