import { systemClock, type Clock, type TimerHandle } from '@realchat/clock';
import type { FastifyInstance } from 'fastify';
import { PUBLIC_ROUTE_CONFIG } from './public-route.js';

export type ReadinessCheck = () => Promise<void | Record<string, unknown>>;

/** Named readiness checks; `/readyz` is 200 only when every one resolves in time. */
export class Probes {
  readonly #checks = new Map<string, ReadinessCheck>();
  readonly #clock: Clock;

  /** `clock` times the checks out. */
  constructor(clock: Clock = systemClock) {
    this.#clock = clock;
  }

  add(name: string, check: ReadinessCheck): void {
    this.#checks.set(name, check);
  }

  async run(timeoutMs: number): Promise<{ ready: boolean; checks: Record<string, { ok: boolean; error?: string; [k: string]: unknown }> }> {
    const entries = await Promise.all(
      [...this.#checks].map(async ([name, check]) => {
        let timer: TimerHandle | undefined;
        try {
          const details = await Promise.race([
            check(),
            new Promise<never>((_, reject) => {
              timer = this.#clock.setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
            }),
          ]);
          return [name, { ok: true, ...(details ?? {}) }] as const;
        } catch (err) {
          // The code or message of a dependency failure, never a stack.
          const e = err as { code?: unknown; message?: unknown };
          return [name, { ok: false, error: String(e.code ?? e.message ?? 'failed') }] as const;
        } finally {
          timer?.clear();
        }
      }),
    );
    return { ready: entries.every(([, r]) => r.ok), checks: Object.fromEntries(entries) };
  }
}

export function registerProbeRoutes(app: FastifyInstance, probes: Probes, timeoutMs: number): void {
  app.get('/healthz', { config: PUBLIC_ROUTE_CONFIG }, async () => ({ status: 'ok' }));
  app.get('/readyz', { config: PUBLIC_ROUTE_CONFIG }, async (_request, reply) => {
    const result = await probes.run(timeoutMs);
    return reply.code(result.ready ? 200 : 503).send({ status: result.ready ? 'ready' : 'not_ready', checks: result.checks });
  });
}
