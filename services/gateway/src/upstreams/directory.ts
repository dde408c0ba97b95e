import type { Clock } from '@realchat/clock';
import { SERVICE_MANIFEST_MEMBER, ServiceManifestSchema, type AccessRule, type OpenApiDocument, type ServiceManifest } from '@realchat/http';
import type { Logger } from '@realchat/logging';
import { Compile } from 'typebox/compile';
import { AccessPolicy } from '../edge/access-policy.js';
import { isUpstreamUrl, UpstreamPool, type PassiveEjectionOptions } from './pool.js';
import { INTERNAL_PREFIX, RouteTable, underPrefix, type RouteEntry } from './route-table.js';

const SERVICE_NAME = /^[a-z][a-z0-9-]*$/;
const manifestValidator = Compile(ServiceManifestSchema);

/** A service served in the gateway's own process (embedded mode). */
export interface HostedServices {
  readonly names: readonly string[];
  readonly prefixes: readonly string[];
  /** The rules the hosted routes declare (read when the policy is built, after they registered). */
  readonly accessRules: readonly AccessRule[];
}

export interface ServiceDirectoryOptions {
  /** Routes known in advance besides `/<service>` of each upstream (rarely needed). */
  readonly routes: readonly RouteEntry[];
  /** Statically configured instances per service. */
  readonly upstreams: Readonly<Record<string, readonly string[]>>;
  readonly hosted: HostedServices;
  /** The gateway's own rules (probes, docs) and any configured ones: they come first. */
  readonly baseRules: readonly AccessRule[];
  readonly clock: Clock;
  readonly ejection: PassiveEjectionOptions;
  readonly logger: Logger;
}

/**
 * What the gateway knows of the services: it learns them, it is not told. Hosted services bring
 * their prefixes and routes' rules; a remote service is known by name (static configuration or
 * the registry) and routed at `/<name>` at once, then its manifest (the `x-realchat-service`
 * member of its OpenAPI document) adds its other prefixes and its routes' access rules. Until
 * then its other paths are unknown: they are not routed, and need a token at the edge.
 */
export class ServiceDirectory {
  readonly pools = new Map<string, UpstreamPool>();
  readonly #options: ServiceDirectoryOptions;
  readonly #manifests = new Map<string, ServiceManifest>();
  readonly #hosted: ReadonlySet<string>;
  #routes: RouteTable;
  #policy: AccessPolicy | undefined;

  constructor(options: ServiceDirectoryOptions) {
    this.#options = options;
    this.#hosted = new Set(options.hosted.names);
    for (const [service, urls] of Object.entries(options.upstreams)) this.#pool(service).setInstances(urls);
    for (const route of options.routes) if (!this.#hosted.has(route.service)) this.#pool(route.service);
    this.#routes = this.#buildRoutes();
  }

  /** The routes to remote services (hosted prefixes are served by their own routes). */
  routes(): RouteTable {
    return this.#routes;
  }

  /** The prefixes served in this process. */
  isHosted(path: string): boolean {
    return this.#options.hosted.prefixes.some((p) => underPrefix(path, p));
  }

  policy(): AccessPolicy {
    this.#policy ??= new AccessPolicy([
      ...this.#options.baseRules,
      ...this.#options.hosted.accessRules,
      // Every service's API document is public, as the gateway's own is.
      ...[...this.pools.keys()].map((service) => ({ path: `/${service}/openapi.json`, methods: ['GET', 'HEAD'], auth: 'none' as const })),
      ...[...this.#manifests.values()].flatMap((m) => m.access.filter((rule) => this.#owns(m.name, rule.path))),
    ]);
    return this.#policy;
  }

  /** Whether a remote service's manifest is known. */
  knows(service: string): boolean {
    return this.#manifests.has(service);
  }

  /** The prefixes routed to a remote service. */
  prefixesOf(service: string): string[] {
    return this.#routes.entries.filter((r) => r.service === service).map((r) => r.prefix);
  }

  /** Instances found in the registry, per service; static instances stay. */
  setDiscovered(snapshot: ReadonlyMap<string, readonly { readonly url: string }[]>): void {
    let added = false;
    for (const service of snapshot.keys()) {
      if (this.#hosted.has(service) || this.pools.has(service)) continue;
      if (!SERVICE_NAME.test(service)) {
        this.#options.logger.warn({ service }, 'ignoring a registered service whose name is not a service name');
        continue;
      }
      this.#pool(service);
      added = true;
    }
    for (const pool of this.pools.values()) {
      const found: string[] = [];
      for (const { url } of snapshot.get(pool.service) ?? []) {
        // One instance announcing a URL the pool cannot use (https://) must not stop every pool's update.
        if (isUpstreamUrl(url)) found.push(url);
        else this.#options.logger.warn({ service: pool.service, url }, 'ignoring a registered instance that is not a plain http:// URL');
      }
      pool.setInstances([...(this.#options.upstreams[pool.service] ?? []), ...found]);
    }
    if (added) this.#changed();
  }

  /** Reads a remote service's manifest from its OpenAPI document; returns whether it was usable. */
  learn(service: string, document: OpenApiDocument): boolean {
    const manifest: unknown = document[SERVICE_MANIFEST_MEMBER];
    if (!manifestValidator.Check(manifest) || manifest.name !== service) {
      this.#options.logger.warn({ service }, 'the OpenAPI document of a service carries no valid manifest');
      return false;
    }
    const previous = this.#manifests.get(service);
    if (previous !== undefined && JSON.stringify(previous) === JSON.stringify(manifest)) return true;
    this.#manifests.set(service, manifest);
    this.#changed();
    return true;
  }

  close(): void {
    for (const pool of this.pools.values()) pool.close();
  }

  #pool(service: string): UpstreamPool {
    let pool = this.pools.get(service);
    if (pool === undefined) {
      pool = new UpstreamPool({ service, clock: this.#options.clock, ejection: this.#options.ejection });
      this.pools.set(service, pool);
    }
    return pool;
  }

  /** A remote service owns a path under one of its prefixes that no hosted or other service claims. */
  #owns(service: string, path: string): boolean {
    const route = this.#routes.match(path.replace(/[:*].*$/, ''));
    return route?.service === service;
  }

  #buildRoutes(): RouteTable {
    const claimed = new Map<string, string>();
    for (const prefix of this.#options.hosted.prefixes) claimed.set(prefix, '');
    const entries: RouteEntry[] = [];
    const add = (prefix: string, service: string): void => {
      const owner = claimed.get(prefix);
      if (owner !== undefined) {
        if (owner !== service) this.#options.logger.warn({ prefix, service, owner: owner === '' ? 'hosted' : owner }, 'a prefix claimed by another service is ignored');
        return;
      }
      if (underPrefix(prefix, INTERNAL_PREFIX)) return;
      claimed.set(prefix, service);
      entries.push({ prefix, service });
    };
    for (const route of this.#options.routes) add(route.prefix, route.service);
    for (const service of [...this.pools.keys()].sort()) add(`/${service}`, service);
    for (const manifest of [...this.#manifests.values()].sort((a, b) => a.name.localeCompare(b.name))) for (const prefix of manifest.prefixes) add(prefix, manifest.name);
    return new RouteTable(entries);
  }

  #changed(): void {
    this.#routes = this.#buildRoutes();
    this.#policy = undefined;
  }
}
