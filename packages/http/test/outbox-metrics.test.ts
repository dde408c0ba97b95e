import { describe, expect, it } from 'vitest';
import { silentLogger } from '@realchat/logging';
import { createHttpApp, OutboxMetrics } from '@realchat/http';

async function scrape(app: ReturnType<typeof createHttpApp>): Promise<string> {
  const res = await app.inject({ url: '/metrics' });
  expect(res.statusCode).toBe(200);
  return res.body;
}

describe('OutboxMetrics', () => {
  it('exposes counters at once and the backlog gauges from the first sample, aged at scrape time', async () => {
    let now = Date.UTC(2030, 0, 1);
    const auth = new OutboxMetrics('auth', () => now);
    const app = createHttpApp({ logger: silentLogger });
    auth.register(app.metrics);
    await app.ready();
    try {
      let text = await scrape(app);
      expect(text).toContain('outbox_events_published_total{schema="auth"} 0');
      expect(text).toContain('outbox_publish_failures_total{schema="auth",kind="transient"} 0');
      expect(text).toContain('outbox_publish_failures_total{schema="auth",kind="dead_letter"} 0');
      // An unknown backlog is not an empty one.
      expect(text).not.toMatch(/^outbox_pending_events\{/m);

      auth.published(3);
      auth.failed('transient', 1);
      auth.failed('dead_letter', 2);
      auth.sampled({ pending: 4, oldestPendingAt: new Date(now - 5_000), deadLetters: 2 });
      now += 55_000;
      text = await scrape(app);
      expect(text).toContain('outbox_events_published_total{schema="auth"} 3');
      expect(text).toContain('outbox_publish_failures_total{schema="auth",kind="transient"} 1');
      expect(text).toContain('outbox_publish_failures_total{schema="auth",kind="dead_letter"} 2');
      expect(text).toContain('outbox_pending_events{schema="auth"} 4');
      // Still growing between samples: a relay stuck in backoff shows.
      expect(text).toContain('outbox_oldest_pending_age_seconds{schema="auth"} 60');
      expect(text).toContain('outbox_dead_letter_events{schema="auth"} 2');

      auth.sampled({ pending: 0, oldestPendingAt: null, deadLetters: 2 });
      expect(await scrape(app)).toContain('outbox_oldest_pending_age_seconds{schema="auth"} 0');
    } finally {
      await app.close();
    }
  });

  it('shares one registry between the outboxes of several services (embedded mode), one series each', async () => {
    const app = createHttpApp({ logger: silentLogger });
    const auth = new OutboxMetrics('auth');
    const chat = new OutboxMetrics('chat');
    auth.register(app.metrics);
    chat.register(app.metrics);
    // Another app keeps its own series.
    const other = createHttpApp({ logger: silentLogger });
    new OutboxMetrics('forum').register(other.metrics);
    await Promise.all([app.ready(), other.ready()]);
    try {
      auth.published(1);
      chat.published(2);
      const text = await scrape(app);
      expect(text).toContain('outbox_events_published_total{schema="auth"} 1');
      expect(text).toContain('outbox_events_published_total{schema="chat"} 2');
      expect(text.match(/^# HELP outbox_events_published_total /gm)).toHaveLength(1);
      expect(text).not.toContain('schema="forum"');
      expect(await scrape(other)).toContain('outbox_events_published_total{schema="forum"} 0');
    } finally {
      await Promise.all([app.close(), other.close()]);
    }
  });
});
