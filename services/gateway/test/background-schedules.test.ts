import { afterEach, describe, expect, it, vi } from 'vitest';
import { ManualClock } from '@realchat/clock';
import { silentLogger } from '@realchat/logging';
import { OpenApiMerger } from '../src/docs/openapi-merge.js';
import { HealthChecker } from '../src/upstreams/health-checker.js';
import { UpstreamPool } from '../src/upstreams/pool.js';
import { startUpstream } from './helpers.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('health checks on the clock', () => {
  it('probes every intervalMs by its clock, applies the verdict, and stops with stop()', async () => {
    const clock = new ManualClock();
    const upstream = await startUpstream('chat');
    const pool = new UpstreamPool({ service: 'chat', clock, ejection: { consecutiveFailures: 5, cooloffMs: 1_000 } });
    cleanups.push(() => pool.agent.close());
    pool.setInstances([upstream.url]);
    const checker = new HealthChecker(() => [pool], { intervalMs: 1_000, timeoutMs: 500, unhealthyThreshold: 1, healthyThreshold: 1 }, silentLogger, clock);
    const rounds = vi.spyOn(checker, 'checkNow');
    checker.start();
    await upstream.close();
    clock.advance(999);
    expect(rounds).toHaveBeenCalledTimes(0);
    clock.advance(1);
    expect(rounds).toHaveBeenCalledTimes(1);
    await rounds.mock.results[0]?.value;
    expect(pool.instances[0]?.healthy).toBe(false);
    clock.advance(2_000);
    expect(rounds).toHaveBeenCalledTimes(3);
    await checker.stop();
    clock.advance(10_000);
    expect(rounds).toHaveBeenCalledTimes(3);
  });
});

describe('API document refresh on the clock', () => {
  it('fetches at start, then every refreshMs by its clock, until stop()', () => {
    const clock = new ManualClock();
    const merger = new OpenApiMerger({
      title: 'RealChat',
      version: '1',
      local: () => ({ openapi: '3.1.0', info: {}, paths: {} }),
      sources: () => [],
      refreshMs: 60_000,
      timeoutMs: 500,
      logger: silentLogger,
      clock,
    });
    const refreshes = vi.spyOn(merger, 'refresh');
    merger.start();
    expect(refreshes).toHaveBeenCalledTimes(1);
    clock.advance(59_999);
    expect(refreshes).toHaveBeenCalledTimes(1);
    clock.advance(1);
    expect(refreshes).toHaveBeenCalledTimes(2);
    merger.stop();
    clock.advance(600_000);
    expect(refreshes).toHaveBeenCalledTimes(2);
  });
});
