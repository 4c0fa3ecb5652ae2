import path from 'node:path';
import { createGitRepo } from '../test/helpers/git-repo.js';
import { BUSYBOX_IMAGE } from '../test/helpers/images.js';
import type { Benchmark } from './benchmark.js';
import { createWorkspace, rebuildOrThrow, shell } from './engine-fixtures.js';

const OUTPUT_BYTES = 500_000_000;
const LINE = 'drydock-output-line-padded-to-one-hundred-bytes-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx';

interface Context {
  repo: string;
  workspace: string;
  peakRssBytes: number[];
}

/** A build that prints 500 MB: drydock against `docker build > file`, and drydock's peak memory. */
const benchmark: Benchmark<Context> = {
  name: 'build printing 500 MB',
  description: `one RUN step writing ${OUTPUT_BYTES / 1e6} MB in 100-byte lines; drydock also timestamps every line`,
  warmup: 0,
  iterations: 2,
  async setup() {
    const repo = createGitRepo({ 'docker/Dockerfile.lo_loud': `FROM ${BUSYBOX_IMAGE}\nRUN yes '${LINE}' | head -c ${OUTPUT_BYTES}\n` });
    const workspace = createWorkspace(`source: { repo: ${repo} }\nbuild: { pull: false }\n`);
    return { repo, workspace, peakRssBytes: [] };
  },
  baseline: {
    name: 'docker build > file',
    run: (context) =>
      shell(`docker build --no-cache -t lo_plain -f ${path.join(context.repo, 'docker', 'Dockerfile.lo_loud')} ${path.join(context.repo, 'docker')} > ${path.join(context.workspace, 'plain.log')} 2>&1`),
  },
  cases: [
    {
      name: 'drydock rebuild',
      async run(context) {
        const result = await rebuildOrThrow(context.workspace);
        context.peakRssBytes.push(result.peakRssBytes);
      },
    },
  ],
  report: (context) => [`drydock peak resident memory: ${(Math.max(...context.peakRssBytes) / 2 ** 20).toFixed(0)} MiB (${OUTPUT_BYTES / 1e6} MB of output)`],
};

export default benchmark;
