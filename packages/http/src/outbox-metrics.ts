import { Counter, Gauge, type Registry } from 'prom-client';

type FailureKind = 'transient' | 'dead_letter';

interface Backlog {
  readonly pending: number;
  readonly oldestPendingAt: Date | null;
  readonly deadLetters: number;
}

/** The outboxes each registry exposes: several share one in embedded mode, where every service registers into the gateway's app. */
const outboxesOf = new WeakMap<Registry, Set<OutboxMetrics>>();

/**
 * One service outbox's relay metrics: a sink for @realchat/bus's `OutboxRelayMetrics` (matched by
 * shape, so this package needs no bus) holding plain numbers, which the registry reads when
 * `/metrics` is scraped. Series are labelled by schema alone: event ids are unbounded, and a dead
 * letter's type can be anything a row holds, so ids and types go to the relay's logs instead.
 */
export class OutboxMetrics {
  #published = 0;
  readonly #failures: Record<FailureKind, number> = { transient: 0, dead_letter: 0 };
  #backlog: Backlog | undefined;

  /** `now` (epoch ms) ages the oldest pending row at scrape time, so the age keeps growing while the relay is stuck. */
  constructor(
    readonly schema: string,
    private readonly now: () => number = Date.now,
  ) {}

  published(count: number): void {
    this.#published += count;
  }

  failed(kind: FailureKind, count: number): void {
    this.#failures[kind] += count;
  }

  sampled(backlog: Backlog): void {
    this.#backlog = backlog;
  }

  /** Exposes this outbox on `registry` (an app's `metrics`), beside the outboxes already there. */
  register(registry: Registry): void {
    let outboxes = outboxesOf.get(registry);
    if (outboxes === undefined) {
      outboxesOf.set(registry, (outboxes = new Set()));
      OutboxMetrics.#registerSeries(registry, outboxes);
    }
    outboxes.add(this);
  }

  static #registerSeries(registry: Registry, outboxes: ReadonlySet<OutboxMetrics>): void {
    const registers = [registry];
    const labelNames = ['schema'] as const;
    new Counter({
      name: 'outbox_events_published_total',
      help: 'Outbox events published to the bus, by service schema',
      labelNames,
      registers,
      collect() {
        this.reset();
        for (const o of outboxes) this.inc({ schema: o.schema }, o.#published);
      },
    });
    new Counter({
      name: 'outbox_publish_failures_total',
      help: 'Outbox publishes that failed, by schema and kind (transient: the bus failed, retried; dead_letter: never publishable, marked failed)',
      labelNames: ['schema', 'kind'] as const,
      registers,
      collect() {
        this.reset();
        for (const o of outboxes) for (const kind of ['transient', 'dead_letter'] as const) this.inc({ schema: o.schema, kind }, o.#failures[kind]);
      },
    });
    // The gauges stay absent until the relay's first sample: an unknown backlog is not an empty one.
    const gauge = (name: string, help: string, value: (backlog: Backlog, o: OutboxMetrics) => number): void =>
      void new Gauge({
        name,
        help,
        labelNames,
        registers,
        collect() {
          this.reset();
          for (const o of outboxes) if (o.#backlog !== undefined) this.set({ schema: o.schema }, value(o.#backlog, o));
        },
      });
    gauge('outbox_pending_events', 'Outbox rows waiting to be published, as of the relay\'s last drain', (b) => b.pending);
    gauge('outbox_oldest_pending_age_seconds', 'Age of the oldest pending outbox row (0 when none is pending); it grows while the relay is stuck', (b, o) =>
      b.oldestPendingAt === null ? 0 : Math.max(0, (o.now() - b.oldestPendingAt.getTime()) / 1000),
    );
    gauge('outbox_dead_letter_events', 'Outbox rows the bus can never take, marked failed and kept for inspection', (b) => b.deadLetters);
  }
}
