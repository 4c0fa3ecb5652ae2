/**
 * Runs every benchmark in this folder (files named `*.bench.ts`, or those
 * named on the command line) and prints each case's timing as a ratio
 * against the benchmark's own baseline, measured in the same process.
 * Exits with status 1 when a case misses its budget.
 *
 *   npm run bench                      # all benchmarks
 *   npm run bench -- dashboard-matrix  # the ones whose file name contains this
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';
import type { Benchmark, BenchmarkCase } from './benchmark.js';

const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
const DEFAULT_WARMUP = 3;
const DEFAULT_ITERATIONS = 20;

interface Timing {
  medianMs: number;
  p95Ms: number;
  minMs: number;
}

async function measure(run: () => Promise<unknown>, warmup: number, iterations: number): Promise<Timing> {
  for (let index = 0; index < warmup; index++) await run();
  const samples: number[] = [];
  for (let index = 0; index < iterations; index++) {
    const started = performance.now();
    await run();
    samples.push(performance.now() - started);
  }
  samples.sort((a, b) => a - b);
  const at = (fraction: number) => samples[Math.min(samples.length - 1, Math.floor(fraction * samples.length))]!;
  return { medianMs: at(0.5), p95Ms: at(0.95), minMs: samples[0]! };
}

function format(milliseconds: number): string {
  return milliseconds < 10 ? milliseconds.toFixed(2) : milliseconds.toFixed(1);
}

async function runBenchmark<Context>(benchmark: Benchmark<Context>): Promise<boolean> {
  const warmup = benchmark.warmup ?? DEFAULT_WARMUP;
  const iterations = benchmark.iterations ?? DEFAULT_ITERATIONS;
  process.stdout.write(`\n${benchmark.name}\n${benchmark.description}\n`);

  const setupStarted = performance.now();
  const context = await benchmark.setup();
  process.stdout.write(`setup: ${format(performance.now() - setupStarted)} ms\n`);

  let withinBudget = true;
  try {
    const baseline = await measure(() => benchmark.baseline.run(context), warmup, iterations);
    const rows: [BenchmarkCase<Context>, Timing][] = [];
    for (const entry of benchmark.cases) rows.push([entry, await measure(() => entry.run(context), warmup, iterations)]);

    process.stdout.write(`${iterations} runs each after ${warmup} warm-up runs; ratio = median / baseline median\n`);
    process.stdout.write(`${'case'.padEnd(44)} ${'median ms'.padStart(10)} ${'p95 ms'.padStart(10)} ${'ratio'.padStart(8)}  budget\n`);
    process.stdout.write(`${`baseline: ${benchmark.baseline.name}`.padEnd(44)} ${format(baseline.medianMs).padStart(10)} ${format(baseline.p95Ms).padStart(10)} ${'1.0'.padStart(8)}\n`);
    for (const [entry, timing] of rows) {
      const ratio = timing.medianMs / baseline.medianMs;
      const verdicts: string[] = [];
      if (entry.budgetMs !== undefined) {
        const ok = timing.p95Ms <= entry.budgetMs;
        withinBudget &&= ok;
        verdicts.push(`${ok ? 'ok' : 'OVER'}: p95 ≤ ${entry.budgetMs} ms`);
      }
      if (entry.maxRatio !== undefined) {
        const ok = ratio <= entry.maxRatio;
        withinBudget &&= ok;
        verdicts.push(`${ok ? 'ok' : 'OVER'}: ratio ≤ ${entry.maxRatio}`);
      }
      const verdict = verdicts.join(', ');
      process.stdout.write(`${entry.name.padEnd(44)} ${format(timing.medianMs).padStart(10)} ${format(timing.p95Ms).padStart(10)} ${ratio.toFixed(ratio < 10 ? 3 : 1).padStart(8)}  ${verdict}\n`);
    }
    for (const line of benchmark.report?.(context) ?? []) process.stdout.write(`${line}\n`);
  } finally {
    await benchmark.teardown?.(context);
  }
  return withinBudget;
}

const filters = process.argv.slice(2);
const files = readdirSync(BENCH_DIR)
  .filter((name) => name.endsWith('.bench.ts'))
  .filter((name) => filters.length === 0 || filters.some((filter) => name.includes(filter)))
  .sort();
if (files.length === 0) {
  process.stderr.write(`no benchmark matches ${filters.join(', ')} in ${BENCH_DIR}\n`);
  process.exit(2);
}

let allWithinBudget = true;
for (const file of files) {
  const module = (await import(pathToFileURL(path.join(BENCH_DIR, file)).href)) as { default: Benchmark<unknown> };
  allWithinBudget = (await runBenchmark(module.default)) && allWithinBudget;
}
process.exitCode = allWithinBudget ? 0 : 1;
