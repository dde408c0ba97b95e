import { request } from 'node:http';
import { systemClock, type Clock, type TimerHandle } from '@realchat/clock';
import type { Logger } from '@realchat/logging';
import type { UpstreamInstance, UpstreamPool } from './pool.js';

export interface HealthCheckOptions {
  /** Path probed on every instance. Default `/healthz`. */
  readonly path?: string;
  readonly intervalMs: number;
  readonly timeoutMs: number;
  /** Consecutive failed probes that mark a healthy instance unhealthy. */
  readonly unhealthyThreshold: number;
  /** Consecutive passed probes that mark an unhealthy instance healthy again. */
  readonly healthyThreshold: number;
}

function probe(instance: UpstreamInstance, path: string, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    // A fresh connection each time (no agent): a probe must see whether new connections work.
    const req = request({ hostname: instance.hostname, port: instance.port, path, method: 'GET', agent: false, timeout: timeoutMs }, (res) => {
      res.resume();
      resolve(res.statusCode !== undefined && res.statusCode >= 200 && res.statusCode < 300);
    });
    req.on('timeout', () => req.destroy(new Error('health check timed out')));
    req.on('error', () => resolve(false));
    req.end();
  });
}

/** Active health checks: probes every instance of every pool on an interval. */
export class HealthChecker {
  readonly #pools: () => Iterable<UpstreamPool>;
  readonly #options: HealthCheckOptions;
  readonly #logger: Logger;
  readonly #clock: Clock;
  #timer: TimerHandle | undefined;
  #running: Promise<void> | undefined;

  /** `clock` times the rounds (a probe's own timeout stays on its socket). */
  constructor(pools: () => Iterable<UpstreamPool>, options: HealthCheckOptions, logger: Logger, clock: Clock = systemClock) {
    this.#pools = pools;
    this.#options = options;
    this.#logger = logger;
    this.#clock = clock;
  }

  /** Probes every instance once and applies the thresholds; concurrent calls share one round. */
  checkNow(): Promise<void> {
    this.#running ??= this.#round().finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  async #round(): Promise<void> {
    const { path = '/healthz', timeoutMs, unhealthyThreshold, healthyThreshold } = this.#options;
    const work: Promise<void>[] = [];
    for (const pool of this.#pools()) {
      for (const instance of pool.instances) {
        work.push(
          probe(instance, path, timeoutMs).then((ok) => {
            if (ok === instance.healthy) {
              instance.checkStreak = 0;
              return;
            }
            instance.checkStreak += 1;
            if (instance.checkStreak >= (ok ? healthyThreshold : unhealthyThreshold)) {
              instance.healthy = ok;
              instance.checkStreak = 0;
              this.#logger.warn({ service: pool.service, upstream: instance.url, healthy: ok }, ok ? 'upstream instance healthy again' : 'upstream instance unhealthy');
            }
          }),
        );
      }
    }
    await Promise.all(work);
  }

  start(): void {
    if (this.#timer !== undefined) return;
    this.#timer = this.#clock.setInterval(() => void this.checkNow(), this.#options.intervalMs, { unref: true });
  }

  async stop(): Promise<void> {
    this.#timer?.clear();
    this.#timer = undefined;
    await this.#running;
  }
}
