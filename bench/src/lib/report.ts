/**
 * Shared bench helpers: a timed ops/s loop, a table printer, a JSON result writer and the
 * reproduce line. Every bench prints ours beside a peer or a physical limit, so rows carry a ratio.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { arch, cpus, loadavg, platform } from 'node:os';
import { performance } from 'node:perf_hooks';

export interface Row {
  readonly name: string;
  readonly value: number;
  readonly unit: string;
  /** Ratio to the row's reference (peer or limit), printed as `0.93×`. */
  readonly ratio?: number;
  readonly note?: string;
}

export interface MeasureOptions {
  readonly durationMs?: number;
  readonly warmupMs?: number;
}

export interface Measurement {
  readonly opsPerSec: number;
  readonly ops: number;
  readonly elapsedMs: number;
}

const DEFAULT_DURATION_MS = 2000;
const DEFAULT_WARMUP_MS = 500;

/**
 * Calls `fn` in a tight loop for `durationMs` (after `warmupMs` of JIT warm-up) and returns the
 * rate. The clock is read once per batch, and the batch grows until it spans ~1 ms, so timing
 * costs stay out of the figure even for sub-microsecond functions.
 */
export function opsPerSecond(fn: () => unknown, options: MeasureOptions = {}): Measurement {
  const durationMs = options.durationMs ?? DEFAULT_DURATION_MS;
  const warmupMs = options.warmupMs ?? DEFAULT_WARMUP_MS;
  let batch = 1;
  const warmEnd = performance.now() + warmupMs;
  while (performance.now() < warmEnd) {
    const t0 = performance.now();
    for (let i = 0; i < batch; i++) fn();
    if (performance.now() - t0 < 1) batch *= 2;
  }
  let ops = 0;
  const start = performance.now();
  const end = start + durationMs;
  let now = start;
  while (now < end) {
    for (let i = 0; i < batch; i++) fn();
    ops += batch;
    now = performance.now();
  }
  const elapsedMs = now - start;
  return { opsPerSec: (ops * 1000) / elapsedMs, ops, elapsedMs };
}

/**
 * The async twin of {@link opsPerSecond}: awaits `fn` sequentially, so it measures the rate one
 * caller sees (what a request handler gets), not throughput under concurrency.
 */
export async function opsPerSecondAsync(fn: () => unknown, options: MeasureOptions = {}): Promise<Measurement> {
  const durationMs = options.durationMs ?? DEFAULT_DURATION_MS;
  const warmupMs = options.warmupMs ?? DEFAULT_WARMUP_MS;
  const warmEnd = performance.now() + warmupMs;
  while (performance.now() < warmEnd) {
    for (let i = 0; i < 64; i++) await fn();
  }
  let ops = 0;
  const start = performance.now();
  const end = start + durationMs;
  let now = start;
  while (now < end) {
    for (let i = 0; i < 64; i++) await fn();
    ops += 64;
    now = performance.now();
  }
  const elapsedMs = now - start;
  return { opsPerSec: (ops * 1000) / elapsedMs, ops, elapsedMs };
}

/** One contender of a comparison; `run` may return a promise, which is then awaited. */
export interface Subject {
  readonly name: string;
  readonly run: () => unknown;
  readonly async?: boolean;
}

export interface CompareOptions {
  /** Measured time per subject. Default 2000. */
  readonly durationMs?: number;
  /** Warm-up per subject before any slice counts. Default 300. */
  readonly warmupMs?: number;
  /** Length of one slice; subjects take turns slice by slice, in a new random order each round. Default 50. */
  readonly sliceMs?: number;
}

export interface Comparison {
  /** Median of the per-slice rates. */
  readonly opsPerSec: number;
  readonly slices: number;
  readonly ops: number;
}

/** Calls per clock reading, so that reading the clock stays under ~1% of a batch. */
function calibrate(fn: () => unknown): number {
  let batch = 1;
  for (;;) {
    const t0 = performance.now();
    for (let i = 0; i < batch; i++) fn();
    if (performance.now() - t0 >= 0.05 || batch >= 1 << 20) return batch;
    batch *= 2;
  }
}

async function slice(subject: Subject, batch: number, ms: number): Promise<{ ops: number; elapsedMs: number }> {
  const fn = subject.run;
  let ops = 0;
  const start = performance.now();
  const end = start + ms;
  let now = start;
  while (now < end) {
    if (subject.async === true) for (let i = 0; i < batch; i++) await fn();
    else for (let i = 0; i < batch; i++) fn();
    ops += batch;
    now = performance.now();
  }
  return { ops, elapsedMs: now - start };
}

export function shuffle<T>(items: T[]): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
}

/**
 * A pause between two load runs. A server keeps working after its load stops (closing sockets,
 * collecting the run's garbage); on 2 cores the next row would pay for it.
 */
export function settle(ms = 250): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * Measures subjects taking turns in short slices and reports each one's median slice rate. On a
 * shared machine, load from other processes then falls on every contender alike, so their ratios
 * hold even when the absolute figures wobble (expect a few per cent either way).
 */
export async function compare(subjects: readonly Subject[], options: CompareOptions = {}): Promise<Map<string, Comparison>> {
  const durationMs = options.durationMs ?? DEFAULT_DURATION_MS;
  const warmupMs = options.warmupMs ?? 300;
  const sliceMs = options.sliceMs ?? 50;
  const batches = new Map<string, number>();
  for (const subject of subjects) {
    const batch = subject.async === true ? 16 : calibrate(subject.run);
    batches.set(subject.name, batch);
    await slice(subject, batch, warmupMs);
  }
  const rates = new Map<string, number[]>(subjects.map((s) => [s.name, []]));
  const ops = new Map<string, number>(subjects.map((s) => [s.name, 0]));
  const rounds = Math.max(1, Math.round(durationMs / sliceMs));
  const order = [...subjects];
  for (let round = 0; round < rounds; round++) {
    // A fixed order would hand each subject the garbage of the one before it to collect.
    shuffle(order);
    for (const subject of order) {
      const r = await slice(subject, batches.get(subject.name)!, sliceMs);
      rates.get(subject.name)!.push((r.ops * 1000) / r.elapsedMs);
      ops.set(subject.name, ops.get(subject.name)! + r.ops);
    }
  }
  return new Map(subjects.map((s) => [s.name, { opsPerSec: median(rates.get(s.name)!), slices: rounds, ops: ops.get(s.name)! }]));
}

function formatValue(value: number): string {
  if (value >= 100) return Math.round(value).toLocaleString('en-US');
  return value.toFixed(2);
}

/** Prints an aligned table; `ratio` is shown as `N.NN×` against the reference named in the row. */
export function printTable(title: string, rows: readonly Row[]): void {
  const cells = rows.map((r) => [
    r.name,
    `${formatValue(r.value)} ${r.unit}`,
    r.ratio === undefined ? '' : `${r.ratio.toFixed(2)}×`,
    r.note ?? '',
  ]);
  const widths = [0, 1, 2, 3].map((c) => Math.max(...cells.map((row) => row[c]!.length), 0));
  console.log(`\n${title}`);
  console.log('-'.repeat(Math.min(100, widths.reduce((a, b) => a + b + 3, 0))));
  for (const row of cells) {
    console.log(
      [row[0]!.padEnd(widths[0]!), row[1]!.padStart(widths[1]!), row[2]!.padStart(widths[2]!), row[3]!]
        .join('   ')
        .trimEnd(),
    );
  }
}

/** Prints the command that reproduces the figures above. */
export function reproduce(cmd: string): void {
  console.log(`\nReproduce: ${cmd}`);
}

/** What the figures depend on, recorded beside them. */
export function environment(): Record<string, string | number> {
  const cpu = cpus();
  return {
    node: process.version,
    platform: `${platform()}-${arch()}`,
    cpu: cpu[0]?.model ?? 'unknown',
    cores: cpu.length,
    // Other work on the machine lowers absolute figures; ratios measured side by side hold better.
    loadAverage1m: Number(loadavg()[0]!.toFixed(2)),
    date: new Date().toISOString(),
  };
}

/** Prints the environment on one line, load included: figures from a busy machine say so. */
export function printEnvironment(): void {
  const env = environment();
  console.log(`${env['cpu']} × ${env['cores']}, Node ${env['node']}, load average ${env['loadAverage1m']}`);
}

const RESULTS_DIR = new URL('../../results/', import.meta.url);

/** Writes `data` (plus the environment) to bench/results/<name>.json and returns the path. */
export function writeResult(name: string, data: unknown): string {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = new URL(`${name}.json`, RESULTS_DIR);
  writeFileSync(file, `${JSON.stringify({ name, environment: environment(), data }, null, 2)}\n`);
  const path = file.pathname;
  console.log(`Results written to ${path}`);
  return path;
}
