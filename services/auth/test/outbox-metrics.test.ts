import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildGateway, gatewayConfig } from '@realchat/gateway';
import type { App } from '@realchat/http';
import { silentLogger } from '@realchat/logging';
import { eventually, register, startAuth, variants, type Harness } from './harness.js';

const series = (text: string, name: string): number | undefined => {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
};

const scrape = async (app: App): Promise<string> => (await app.inject({ url: '/metrics' })).body;

describe.each(variants)('auth outbox metrics (%s)', (variant) => {
  let h: Harness;
  let gateway: App;
  beforeAll(async () => {
    h = await startAuth(variant);
    // As apps/cli/src/system.ts composes the embedded system: the gateway hosting the (already started) auth service.
    gateway = await buildGateway({
      config: gatewayConfig(),
      logger: silentLogger,
      clock: h.clock,
      verifier: h.module.verifier,
      store: h.store,
      host: h.host,
    });
    await gateway.ready();
  });
  afterAll(async () => {
    await gateway?.close();
    await h?.close();
  });

  it('shows user.created published on /metrics after a registration, with an empty backlog', async () => {
    const before = series(await scrape(h.app), 'outbox_events_published_total{schema="auth"}') ?? 0;
    await register(h.app);
    await eventually(async () => series(await scrape(h.app), 'outbox_events_published_total{schema="auth"}') === before + 1);
    await eventually(() => h.events.some((e) => e.type === 'user.created'));
    const text = await scrape(h.app);
    expect(series(text, 'outbox_publish_failures_total{schema="auth",kind="transient"}')).toBe(0);
    expect(series(text, 'outbox_publish_failures_total{schema="auth",kind="dead_letter"}')).toBe(0);
    expect(series(text, 'outbox_pending_events{schema="auth"}')).toBe(0);
    expect(series(text, 'outbox_oldest_pending_age_seconds{schema="auth"}')).toBe(0);
    expect(series(text, 'outbox_dead_letter_events{schema="auth"}')).toBe(0);
  });

  it('shows the same series on the gateway that hosts auth (embedded mode)', async () => {
    await register(gateway);
    await eventually(async () => {
      const [own, hosted] = await Promise.all([scrape(h.app), scrape(gateway)]);
      const value = series(hosted, 'outbox_events_published_total{schema="auth"}');
      return value !== undefined && value === series(own, 'outbox_events_published_total{schema="auth"}');
    });
    expect(await scrape(gateway)).toMatch(/^outbox_pending_events\{schema="auth"\} 0$/m);
  });
});
