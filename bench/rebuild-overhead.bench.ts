import path from 'node:path';
import { createGitRepo } from '../test/helpers/git-repo.js';
import { BUSYBOX_IMAGE } from '../test/helpers/images.js';
import { startRegistry, type TestRegistry } from '../test/helpers/registry.js';
import type { Benchmark } from './benchmark.js';
import { createWorkspace, dockerCli, rebuildOrThrow } from './engine-fixtures.js';

const IMAGES = 6;

interface Context {
  registry: TestRegistry;
  repo: string;
  workspace: string;
  round: number;
}

/**
 * drydock against the job it replaces: a shell loop that runs `docker build`
 * and `docker push` per Dockerfile. Both build the same six images from
 * scratch and push two tags of each to a registry on loopback.
 */
const benchmark: Benchmark<Context> = {
  name: 'rebuild overhead on one engine',
  description: `${IMAGES} images of about 1.5 s each (a sleep and a 2 MB layer), built without cache and pushed with two tags`,
  warmup: 1,
  iterations: 3,
  async setup() {
    const registry = await startRegistry();
    const files: Record<string, string> = {};
    for (let index = 0; index < IMAGES; index++) {
      files[`docker/Dockerfile.bo_${index}`] = `FROM ${BUSYBOX_IMAGE}\nRUN sleep 1 && head -c 2000000 /dev/urandom > /payload\nRUN echo image ${index} > /name\n`;
    }
    const repo = createGitRepo(files);
    const workspace = createWorkspace(`source: { repo: ${repo} }\nbuild: { pull: false }\nregistry: { staging: ${registry.host}/bench }\n`);
    return { registry, repo, workspace, round: 0 };
  },
  baseline: {
    name: 'docker build + docker push loop',
    async run(context) {
      context.round++;
      for (let index = 0; index < IMAGES; index++) {
        const repository = `${context.registry.host}/loop/bo_${index}`;
        const dockerfile = path.join(context.repo, 'docker', `Dockerfile.bo_${index}`);
        dockerCli(['build', '--no-cache', '-q', '-t', `${repository}:latest`, '-t', `${repository}:round${context.round}`, '-f', dockerfile, path.join(context.repo, 'docker')]);
        dockerCli(['push', '-q', `${repository}:latest`]);
        dockerCli(['push', '-q', `${repository}:round${context.round}`]);
      }
    },
  },
  cases: [
    {
      name: 'drydock rebuild (whole command)',
      maxRatio: 1.03,
      run: (context) => rebuildOrThrow(context.workspace),
    },
  ],
  async teardown(context) {
    await context.registry.stop();
  },
};

export default benchmark;
