import FindMyWay from 'find-my-way';
import type { AccessRule } from '@realchat/http';

export type { AccessRule } from '@realchat/http';

/** The gateway's own public paths; the services' rules come from their declarations. */
export const GATEWAY_RULES: readonly AccessRule[] = [
  { path: '/healthz', auth: 'none' },
  { path: '/readyz', auth: 'none' },
  // No token, but only from GATEWAY_METRICS_ALLOW (the edge guard's restricted paths; others get 404).
  { path: '/metrics', auth: 'none' },
  { path: '/openapi.json', auth: 'none' },
  { path: '/docs*', auth: 'none' },
];

const REQUIRED: AccessRule = { path: '*', auth: 'required' };
const ALL_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];

/**
 * Decides the rule of a request by matching its path as the services' router does (Fastify's
 * find-my-way: `:param` segments, a trailing `*`, one trailing slash ignored). A path no rule
 * matches needs a valid token: the gateway fails closed on what it does not know.
 */
export class AccessPolicy {
  readonly #router = FindMyWay({ ignoreTrailingSlash: true, caseSensitive: true, maxParamLength: 500 });

  /** Earlier rules win over later ones for the same method and path. */
  constructor(rules: readonly AccessRule[]) {
    for (const rule of rules) {
      if (!rule.path.startsWith('/')) throw new TypeError(`access rule path must start with /: ${rule.path}`);
      // `/oauth/*` covers `/oauth` itself too.
      const paths = rule.path.endsWith('/*') && rule.path.length > 2 ? [rule.path, rule.path.slice(0, -2)] : [rule.path];
      for (const method of rule.methods ?? ALL_METHODS) {
        if (!ALL_METHODS.includes(method)) continue;
        for (const path of paths) {
          // Two routes of one pattern (a GET and its HEAD) declare it once each: the first stays.
          if (!this.#router.hasRoute(method as 'GET', path)) this.#router.on(method as 'GET', path, () => undefined, rule);
        }
      }
    }
  }

  /** `path` is the decoded path without query. */
  ruleFor(method: string, path: string): AccessRule {
    if (!ALL_METHODS.includes(method)) return REQUIRED;
    const found = this.#router.find(method as 'GET', path);
    return found === null ? REQUIRED : (found.store as AccessRule);
  }
}
