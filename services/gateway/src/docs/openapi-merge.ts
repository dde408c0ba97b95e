import { systemClock, type Clock, type TimerHandle } from '@realchat/clock';
import type { Logger } from '@realchat/logging';
import type { OpenApiDocument } from '@realchat/http';
import { underPrefix } from '../upstreams/route-table.js';

/** Where to fetch one service's document. */
export interface DocumentSource {
  readonly service: string;
  /** The path prefixes routed to the service: its document may only describe paths under them. */
  readonly prefixes: readonly string[];
  /** Full URL of an instance's document, or undefined when no instance is available now. */
  url(): string | undefined;
}

export interface OpenApiMergerOptions {
  readonly title: string;
  readonly version: string;
  /** The gateway's own document (in embedded mode: every hosted service's routes). */
  readonly local: () => OpenApiDocument;
  readonly sources: () => readonly DocumentSource[];
  readonly refreshMs: number;
  readonly timeoutMs: number;
  readonly logger: Logger;
  /** Times the refreshes. Default systemClock. */
  readonly clock?: Clock;
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Serves one OpenAPI 3.1 document for the whole API: the gateway's own routes plus every
 * upstream's document, fetched in the background and cached (the last good copy stays when a
 * service is down). A service's paths outside its own prefixes are left out, and a component name
 * two services define differently keeps the first; both are logged.
 */
export class OpenApiMerger {
  readonly #options: OpenApiMergerOptions;
  readonly #upstream = new Map<string, { readonly doc: OpenApiDocument; readonly prefixes: readonly string[] }>();
  #merged: OpenApiDocument | undefined;
  #timer: TimerHandle | undefined;

  constructor(options: OpenApiMergerOptions) {
    this.#options = options;
  }

  document(): OpenApiDocument {
    this.#merged ??= this.#merge();
    return this.#merged;
  }

  async refresh(): Promise<void> {
    await Promise.all(this.#options.sources().map((source) => this.#fetch(source)));
    this.#merged = undefined;
  }

  async #fetch(source: DocumentSource): Promise<void> {
    const url = source.url();
    if (url === undefined) return;
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(this.#options.timeoutMs), headers: { accept: 'application/json' } });
      if (!res.ok) throw new Error(`status ${res.status}`);
      const body: unknown = await res.json();
      if (!isObject(body) || typeof body['openapi'] !== 'string' || !isObject(body['paths'])) throw new Error('not an OpenAPI document');
      this.#upstream.set(source.service, { doc: body as OpenApiDocument, prefixes: source.prefixes });
    } catch (err) {
      this.#options.logger.warn({ service: source.service, url, err: (err as Error).message }, 'could not fetch the OpenAPI document of an upstream');
    }
  }

  #merge(): OpenApiDocument {
    const local = this.#options.local();
    const paths: Json = { ...(local.paths ?? {}) };
    const components: Record<string, Json> = {};
    const tags = new Map<string, unknown>();
    const conflicts: string[] = [];
    const foreign: Record<string, string[]> = {};
    const add = (doc: OpenApiDocument, service?: string, prefixes?: readonly string[]): void => {
      for (const [path, item] of Object.entries(doc.paths ?? {})) {
        // A service describes its own routes only: a path under another's prefix is not what it serves.
        if (prefixes !== undefined && !prefixes.some((prefix) => underPrefix(path, prefix))) (foreign[service!] ??= []).push(path);
        else paths[path] ??= item;
      }
      for (const [kind, entries] of Object.entries(doc.components ?? {})) {
        if (!isObject(entries)) continue;
        const target = (components[kind] ??= {});
        for (const [name, value] of Object.entries(entries)) {
          if (!(name in target)) target[name] = value;
          else if (JSON.stringify(target[name]) !== JSON.stringify(value)) conflicts.push(`${kind}.${name}`);
        }
      }
      for (const tag of doc.tags ?? []) if (isObject(tag) && typeof tag['name'] === 'string' && !tags.has(tag['name'])) tags.set(tag['name'], tag);
    };
    add(local);
    for (const service of [...this.#upstream.keys()].sort()) {
      const { doc, prefixes } = this.#upstream.get(service)!;
      add(doc, service, prefixes);
    }
    if (Object.keys(foreign).length > 0) this.#options.logger.warn({ paths: foreign }, "OpenAPI paths outside their service's prefixes left out");
    if (conflicts.length > 0) this.#options.logger.warn({ conflicts }, 'OpenAPI components defined differently by two services; the first is kept');
    const sortedPaths = Object.fromEntries(Object.entries(paths).sort(([a], [b]) => a.localeCompare(b)));
    return {
      openapi: '3.1.0',
      info: { title: this.#options.title, version: this.#options.version },
      paths: sortedPaths,
      components,
      ...(tags.size > 0 ? { tags: [...tags.values()] } : {}),
    };
  }

  start(): void {
    if (this.#timer !== undefined) return;
    void this.refresh();
    this.#timer = (this.#options.clock ?? systemClock).setInterval(() => void this.refresh(), this.#options.refreshMs, { unref: true });
  }

  stop(): void {
    this.#timer?.clear();
    this.#timer = undefined;
  }
}
