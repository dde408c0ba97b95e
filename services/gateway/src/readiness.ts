import type { App } from '@realchat/http';
import type { GatewayContext } from './context.js';
import type { UpstreamPool } from './upstreams/pool.js';

/**
 * `/readyz`: every required remote service has an available instance and a known manifest (none
 * registered yet, none healthy, or routes not learned yet is not ready), and the key cache is
 * usable. Each required service's reason has its own check.
 */
export function installReadiness(app: App, ctx: GatewayContext): void {
  const { config, directory, verifier } = ctx;
  const isRequired = (service: string): boolean => config.requiredServices === 'all' || config.requiredServices.includes(service) || (config.upstreams[service]?.length ?? 0) > 0;
  const required = (): UpstreamPool[] => [...directory.pools.values()].filter((p) => isRequired(p.service));
  const unavailable = (pool: UpstreamPool): string | undefined =>
    pool.instances.length === 0 ? 'NO_INSTANCE' : pool.availableCount() === 0 ? 'NO_AVAILABLE_INSTANCE' : !directory.knows(pool.service) ? 'ROUTES_UNKNOWN' : undefined;

  app.probes.add('upstreams', async () => {
    const report: Record<string, { instances: number; available: number; routes: boolean }> = {};
    for (const pool of directory.pools.values()) report[pool.service] = { instances: pool.instances.length, available: pool.availableCount(), routes: directory.knows(pool.service) };
    const down = required().filter((pool) => unavailable(pool) !== undefined).map((pool) => pool.service);
    // A required service never seen at all has no pool yet.
    if (config.requiredServices !== 'all') for (const service of config.requiredServices) if (!directory.pools.has(service) && !directory.isHosted(`/${service}`)) down.push(service);
    if (down.length > 0) throw Object.assign(new Error(`no available instance of ${down.join(', ')}`), { code: 'UPSTREAM_UNAVAILABLE' });
    return { services: report };
  });
  const services = new Set([...(config.requiredServices === 'all' ? [] : config.requiredServices), ...Object.keys(config.upstreams)]);
  for (const service of services) {
    if (directory.isHosted(`/${service}`)) continue;
    app.probes.add(`upstream:${service}`, async () => {
      const pool = directory.pools.get(service);
      const reason = pool === undefined ? 'NO_INSTANCE' : unavailable(pool);
      if (reason !== undefined || pool === undefined) throw Object.assign(new Error(`${service}: ${reason ?? 'NO_INSTANCE'}`), { code: reason ?? 'NO_INSTANCE' });
      return { instances: pool.instances.length, available: pool.availableCount() };
    });
  }
  app.probes.add('keys', async () => {
    const status = verifier.status();
    if (!status.ready) throw Object.assign(new Error(status.lastError ?? 'no verification key'), { code: 'KEYS_UNAVAILABLE' });
    return { keys: status.keys, stale: status.stale, lastFetchAt: status.lastFetchAt?.toISOString() ?? null };
  });
}
