/** One entry of the routing table: requests under `prefix` go to the pool of `service`. */
export interface RouteEntry {
  /** `/auth`, `/chat`, ... — matched as a whole path segment, never rewritten. */
  readonly prefix: string;
  readonly service: string;
}

/** A route as the table holds it. */
export interface Route extends RouteEntry {
  /** The metrics label of its requests: `/chat/*`. */
  readonly label: string;
}

/** Service-to-service paths: never reachable through the gateway. */
export const INTERNAL_PREFIX = '/internal';

/** True when `path` is `prefix` itself or lies below it (`/chat` matches `/chat/x`, not `/chatty`). */
export function underPrefix(path: string, prefix: string): boolean {
  return path.startsWith(prefix) && (path.length === prefix.length || path.charCodeAt(prefix.length) === 47 /* / */);
}

/** The path of a request target without its query string. */
export function pathOf(url: string): string {
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}

/** Finds the route of a path, longest prefix first. */
export class RouteTable {
  readonly entries: readonly Route[];

  constructor(entries: readonly RouteEntry[]) {
    for (const e of entries) {
      if (!/^\/[A-Za-z0-9._~-]+(\/[A-Za-z0-9._~-]+)*$/.test(e.prefix)) throw new TypeError(`invalid route prefix ${JSON.stringify(e.prefix)}`);
      if (underPrefix(e.prefix, INTERNAL_PREFIX)) throw new TypeError(`${e.prefix}: internal paths cannot be routed`);
    }
    this.entries = entries.map((e) => ({ prefix: e.prefix, service: e.service, label: `${e.prefix}/*` })).sort((a, b) => b.prefix.length - a.prefix.length);
  }

  match(path: string): Route | undefined {
    for (const entry of this.entries) if (underPrefix(path, entry.prefix)) return entry;
    return undefined;
  }
}
