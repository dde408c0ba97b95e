import { systemClock, type Clock, type TimerHandle } from '@realchat/clock';
import type { OpenApiDocument } from '@realchat/http';
import type { Logger } from '@realchat/logging';
import type { OpenApiMerger } from '../docs/openapi-merge.js';
import type { ServiceDirectory } from './directory.js';

export interface ServiceDocumentsOptions {
  readonly directory: ServiceDirectory;
  readonly merger: OpenApiMerger;
  /** Every service's document is fetched again this often (its routes may change with a deploy). */
  readonly refreshMs: number;
  /** A service whose manifest is still unknown is asked this often, so its routes open soon after it appears. */
  readonly retryMs: number;
  readonly timeoutMs: number;
  readonly logger: Logger;
  /** Times the refreshes. Default systemClock. */
  readonly clock?: Clock;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Fetches each remote service's OpenAPI document (`/<service>/openapi.json` on one of its
 * instances): its manifest teaches the directory the service's prefixes and access rules, and
 * the document joins the merged API reference.
 */
export class ServiceDocuments {
  readonly #options: ServiceDocumentsOptions;
  readonly #inFlight = new Map<string, Promise<void>>();
  #refreshTimer: TimerHandle | undefined;
  #retryTimer: TimerHandle | undefined;

  constructor(options: ServiceDocumentsOptions) {
    this.#options = options;
  }

  /** Fetches the documents of every service with an available instance now (or only those not yet known). */
  async refresh(onlyUnknown = false): Promise<void> {
    const { directory } = this.#options;
    const services = [...directory.pools.values()].filter((p) => p.availableCount() > 0 && (!onlyUnknown || !directory.knows(p.service))).map((p) => p.service);
    await Promise.all(services.map((service) => this.#fetchOnce(service)));
  }

  start(): void {
    if (this.#refreshTimer !== undefined) return;
    const clock = this.#options.clock ?? systemClock;
    void this.refresh();
    this.#refreshTimer = clock.setInterval(() => void this.refresh(), this.#options.refreshMs, { unref: true });
    this.#retryTimer = clock.setInterval(() => void this.refresh(true), this.#options.retryMs, { unref: true });
  }

  stop(): void {
    this.#refreshTimer?.clear();
    this.#retryTimer?.clear();
    this.#refreshTimer = undefined;
    this.#retryTimer = undefined;
  }

  #fetchOnce(service: string): Promise<void> {
    let running = this.#inFlight.get(service);
    if (running === undefined) {
      running = this.#fetch(service).finally(() => this.#inFlight.delete(service));
      this.#inFlight.set(service, running);
    }
    return running;
  }

  async #fetch(service: string): Promise<void> {
    const { directory, merger, logger, timeoutMs } = this.#options;
    const instance = directory.pools.get(service)?.pick();
    if (instance === undefined) return;
    const url = `${instance.url}/${service}/openapi.json`;
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), headers: { accept: 'application/json' } });
      if (!res.ok) throw new Error(`status ${res.status}`);
      const body: unknown = await res.json();
      if (!isObject(body) || typeof body['openapi'] !== 'string' || !isObject(body['paths'])) throw new Error('not an OpenAPI document');
      const doc = body as OpenApiDocument;
      directory.learn(service, doc);
      merger.put(service, doc, directory.prefixesOf(service));
    } catch (err) {
      logger.warn({ service, url, err: (err as Error).message }, 'could not fetch the OpenAPI document of an upstream');
    }
  }
}
