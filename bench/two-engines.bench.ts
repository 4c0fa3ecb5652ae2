import path from 'node:path';
import { createGitRepo } from '../test/helpers/git-repo.js';
import { BUSYBOX_IMAGE } from '../test/helpers/images.js';
import { startSecondEngine, type TestEngine } from '../test/helpers/second-engine.js';
import type { Benchmark } from './benchmark.js';
import { createWorkspace, dockerCli, rebuildOrThrow } from './engine-fixtures.js';

const STEP = 'RUN sleep 3';
const CHAIN = ['cp_base', 'cp_mid', 'cp_leaf'];

interface Context {
  second: TestEngine;
  repo: string;
  workspace: string;
}

/**
 * Eight IO-bound images on two engines of this machine: a chain of three
 * (each FROM the one before) and five alone. The baseline is the critical
 * path, the chain built one after another with plain `docker build`, which
 * no scheduler can beat.
 */
const benchmark: Benchmark<Context> = {
  name: 'two engines against the critical path',
  description: 'a chain of 3 images plus 5 independent ones, each a 3 s sleep; two engines with 2 slots each',
  warmup: 1,
  iterations: 3,
  async setup() {
    const second = await startSecondEngine([BUSYBOX_IMAGE]);
    const repo = createGitRepo({
      'docker/Dockerfile.cp_base': `FROM ${BUSYBOX_IMAGE}\n${STEP}\n`,
      'docker/Dockerfile.cp_mid': `FROM cp_base\n${STEP}\n`,
      'docker/Dockerfile.cp_leaf': `FROM cp_mid\n${STEP}\n`,
      ...Object.fromEntries(['a', 'b', 'c', 'd', 'e'].map((name) => [`docker/Dockerfile.cp_side_${name}`, `FROM ${BUSYBOX_IMAGE}\n${STEP}\n`])),
    });
    const workspace = createWorkspace(
      [
        `source: { repo: ${repo} }`,
        'build: { pull: false }',
        'engines:',
        '  - { name: main, host: "unix:///var/run/docker.sock", slots: 2 }',
        `  - { name: second, host: "${second.host}", slots: 2 }`,
        '',
      ].join('\n'),
    );
    return { second, repo, workspace };
  },
  baseline: {
    name: 'critical path: the chain alone',
    async run(context) {
      for (const name of CHAIN) {
        dockerCli(['build', '--no-cache', '-q', '-t', `${name}:latest`, '-f', path.join(context.repo, 'docker', `Dockerfile.${name}`), path.join(context.repo, 'docker')]);
      }
    },
  },
  cases: [
    {
      name: 'drydock rebuild of all 8 on two engines',
      maxRatio: 1.1,
      run: (context) => rebuildOrThrow(context.workspace),
    },
  ],
  async teardown(context) {
    await context.second.stop();
  },
};

export default benchmark;
