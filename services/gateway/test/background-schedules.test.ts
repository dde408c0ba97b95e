import { afterEach, describe, expect, it, vi } from 'vitest';
import { ManualClock } from '@realchat/clock';
import { silentLogger } from '@realchat/logging';
import { OpenApiMerger } from '../src/docs/openapi-merge.js';
import { ServiceDirectory } from '../src/upstreams/directory.js';
import { HealthChecker } from '../src/upstreams/health-checker.js';
import { ServiceDocuments } from '../src/upstreams/service-documents.js';
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
  it('fetches at start, then every refreshMs (every retryMs those not known yet) by its clock, until stop()', () => {
    const clock = new ManualClock();
    const directory = new ServiceDirectory({ routes: [], upstreams: {}, hosted: { names: [], prefixes: [], accessRules: [] }, baseRules: [], clock, ejection: { consecutiveFailures: 5, cooloffMs: 1_000 }, logger: silentLogger });
    const merger = new OpenApiMerger({ title: 'RealChat', version: '1', local: () => ({ openapi: '3.1.0', info: {}, paths: {} }), logger: silentLogger });
    const documents = new ServiceDocuments({ directory, merger, refreshMs: 60_000, retryMs: 1_000, timeoutMs: 500, logger: silentLogger, clock });
    const refreshes = vi.spyOn(documents, 'refresh');
    const all = () => refreshes.mock.calls.filter(([onlyUnknown]) => onlyUnknown !== true).length;
    const unknown = () => refreshes.mock.calls.filter(([onlyUnknown]) => onlyUnknown === true).length;
    documents.start();
    expect([all(), unknown()]).toEqual([1, 0]);
    clock.advance(999);
    expect(unknown()).toBe(0);
    clock.advance(1);
    expect(unknown()).toBe(1);
    clock.advance(59_000);
    expect([all(), unknown()]).toEqual([2, 60]);
    documents.stop();
    clock.advance(600_000);
    expect([all(), unknown()]).toEqual([2, 60]);
    directory.close();
  });
});
