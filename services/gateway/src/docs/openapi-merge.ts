import type { Logger } from '@realchat/logging';
import type { OpenApiDocument } from '@realchat/http';
import { underPrefix } from '../upstreams/route-table.js';

export interface OpenApiMergerOptions {
  readonly title: string;
  readonly version: string;
  /** The gateway's own document (in embedded mode: every hosted service's routes). */
  readonly local: () => OpenApiDocument;
  readonly logger: Logger;
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Serves one OpenAPI 3.1 document for the whole API: the gateway's own routes plus the last good
 * copy of every upstream's document (fetched in the background by the gateway). A service's paths outside its own prefixes are left out, and a component name
 * two services define differently keeps the first; both are logged.
 */
export class OpenApiMerger {
  readonly #options: OpenApiMergerOptions;
  readonly #upstream = new Map<string, { readonly doc: OpenApiDocument; readonly prefixes: readonly string[] }>();
  #merged: OpenApiDocument | undefined;

  constructor(options: OpenApiMergerOptions) {
    this.#options = options;
  }

  document(): OpenApiDocument {
    this.#merged ??= this.#merge();
    return this.#merged;
  }

  /** Keeps `doc` as the document of `service`, routed at `prefixes`. */
  put(service: string, doc: OpenApiDocument, prefixes: readonly string[]): void {
    this.#upstream.set(service, { doc, prefixes });
    this.#merged = undefined;
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
}
