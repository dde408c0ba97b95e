import type { ProbeSample } from './load-job.js';

export interface LatencySummary {
  readonly n: number;
  readonly p50: number;
  readonly p99: number;
  readonly mean: number;
  readonly max: number;
}

/** Nearest-rank quantile of an ascending array. */
function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

/** Median, p99, mean and max of latencies in milliseconds. */
export function summarise(values: readonly number[]): LatencySummary {
  const sorted = [...values].sort((a, b) => a - b);
  const mean = sorted.reduce((a, b) => a + b, 0) / Math.max(1, sorted.length);
  return { n: sorted.length, p50: quantile(sorted, 0.5), p99: quantile(sorted, 0.99), mean, max: sorted.at(-1) ?? Number.NaN };
}

/** Latencies of the probe samples with `tag` (all when omitted); throws if any answer had another status. */
export function latenciesOf(samples: readonly ProbeSample[], expectStatus: number, tag?: string): number[] {
  const picked = samples.filter((s) => tag === undefined || s.tag === tag);
  const wrong = picked.filter((s) => s.status !== expectStatus);
  if (wrong.length > 0) throw new Error(`${wrong.length}/${picked.length} answers were not ${expectStatus} (first: ${wrong[0]!.status})`);
  return picked.map((s) => s.ms);
}

/** `12.3 ms` / `0.41 ms`. */
export const ms = (value: number): string => (value >= 10 ? `${value.toFixed(1)} ms` : `${value.toFixed(2)} ms`);
