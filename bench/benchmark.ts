/** One timed operation of a benchmark. */
export interface BenchmarkCase<Context> {
  name: string;
  run: (context: Context) => Promise<unknown>;
  /** The most the 95th percentile may take, in milliseconds; unset means report only. */
  budgetMs?: number;
  /** The highest acceptable ratio of this case's median to the baseline's median. */
  maxRatio?: number;
}

/**
 * A benchmark file under bench/ (`<name>.bench.ts`) exports one of these as
 * its default. The harness times the baseline and every case in the same
 * process, so ratios compare like with like on any machine.
 */
export interface Benchmark<Context> {
  name: string;
  /** What is measured and on what data, printed before the figures. */
  description: string;
  setup: () => Promise<Context>;
  /** A cheap operation on the same setup, such as a trivial request to the same server. */
  baseline: BenchmarkCase<Context>;
  cases: BenchmarkCase<Context>[];
  teardown?: (context: Context) => Promise<void>;
  warmup?: number;
  iterations?: number;
  /** Extra figures measured along the way, such as peak memory, printed after the table. */
  report?: (context: Context) => string[];
}
