/** A request the load process sends. */
export interface JobRequest {
  readonly method: 'GET' | 'POST';
  readonly path: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
  /** Groups samples in a probe (e.g. `unknown-email` vs `wrong-password`). */
  readonly tag?: string;
}

/**
 * Closed-loop saturation with autocannon. With `refreshChains`, each request spends one refresh
 * token from a shared pool and the answer's successor goes back into it, so every token is used
 * exactly once and each chain advances one rotation at a time.
 */
export interface AutocannonJob {
  readonly kind: 'autocannon';
  readonly url: string;
  readonly request: JobRequest;
  readonly connections: number;
  readonly durationSec: number;
  readonly refreshChains?: readonly string[];
  /** autocannon's `[<id>]` substitution in the body (a fresh value per request). */
  readonly idReplacement?: boolean;
}

/**
 * Latency probe with microsecond resolution (autocannon's histogram has 1 ms buckets): requests
 * cycle through `requests`, either one at a time (`ratePerSec` absent) or open-loop at a fixed rate.
 */
export interface ProbeJob {
  readonly kind: 'probe';
  readonly url: string;
  readonly requests: readonly JobRequest[];
  readonly count: number;
  readonly ratePerSec?: number;
}

export type LoadJob = AutocannonJob | ProbeJob;

export interface AutocannonSummary {
  readonly kind: 'autocannon';
  readonly completed: number;
  readonly durationSec: number;
  readonly rps: number;
  readonly latencyMs: { readonly p50: number; readonly p99: number; readonly mean: number; readonly max: number };
  readonly non2xx: number;
  readonly errors: number;
  readonly timeouts: number;
  /** With `refreshChains`: the unspent tokens when the run stopped (chains cut mid-request are lost). */
  readonly chains?: readonly string[];
}

export interface ProbeSample {
  readonly tag: string;
  readonly status: number;
  readonly ms: number;
}

export interface ProbeSummary {
  readonly kind: 'probe';
  readonly samples: readonly ProbeSample[];
}

export type LoadResult = AutocannonSummary | ProbeSummary;
