import type { Role } from '@realchat/auth-verify';

/** What the gateway demands of a request before it reaches a service. */
export interface AccessRule {
  /**
   * An exact path (`/auth/login`), or a prefix ending in `*`: `/oauth/*` matches `/oauth` and
   * everything below it, `/docs*` everything that starts with `/docs`.
   */
  readonly path: string;
  /** Only these methods; default all. */
  readonly methods?: readonly string[];
  /** `none`: public; `optional`: a token, if sent, must be valid; `required`: a valid token. */
  readonly auth: 'required' | 'optional' | 'none';
  /** The caller needs one of these roles. */
  readonly roles?: readonly Role[];
  /** The caller needs every one of these scopes. */
  readonly scopes?: readonly string[];
}

/** Public paths of RealChat; every other path needs a valid token at the edge. */
export const PUBLIC_RULES: readonly AccessRule[] = [
  { path: '/healthz', auth: 'none' },
  { path: '/readyz', auth: 'none' },
  // No token, but only from GATEWAY_METRICS_ALLOW (the edge guard's restricted paths; others get 404).
  { path: '/metrics', auth: 'none' },
  { path: '/openapi.json', auth: 'none' },
  { path: '/docs*', auth: 'none' },
  { path: '/auth/register', auth: 'none' },
  { path: '/auth/login', auth: 'none' },
  { path: '/auth/refresh', auth: 'none' },
  { path: '/auth/logout', auth: 'none' },
  { path: '/oauth/*', auth: 'none' },
  { path: '/.well-known/*', auth: 'none' },
  // Sockets authenticate with their first frame (ARCHITECTURE.md §8), not a header.
  { path: '/chat/ws', auth: 'none' },
  { path: '/notifications/ws', auth: 'none' },
];

const REQUIRED: AccessRule = { path: '*', auth: 'required' };

interface CompiledRule {
  readonly rule: AccessRule;
  readonly exact: string | undefined;
  readonly prefix: string | undefined;
  readonly methods: ReadonlySet<string> | undefined;
}

/** Decides the rule of a request: the first matching rule, else `required`. */
export class AccessPolicy {
  readonly #rules: readonly CompiledRule[];
  readonly #exact = new Map<string, CompiledRule[]>();

  constructor(rules: readonly AccessRule[]) {
    this.#rules = rules.map((rule) => {
      if (!rule.path.startsWith('/')) throw new TypeError(`access rule path must start with /: ${rule.path}`);
      const wildcard = rule.path.endsWith('*');
      return {
        rule,
        exact: wildcard ? undefined : rule.path,
        prefix: wildcard ? rule.path.slice(0, -1) : undefined,
        methods: rule.methods === undefined ? undefined : new Set(rule.methods.map((m) => m.toUpperCase())),
      };
    });
    for (const c of this.#rules) {
      if (c.exact === undefined) continue;
      const list = this.#exact.get(c.exact) ?? [];
      list.push(c);
      this.#exact.set(c.exact, list);
    }
  }

  /** `path` is the decoded path without query. Exact rules win over prefixes; among prefixes, order wins. */
  ruleFor(method: string, path: string): AccessRule {
    const exact = this.#exact.get(path);
    if (exact !== undefined) for (const c of exact) if (c.methods === undefined || c.methods.has(method)) return c.rule;
    for (const c of this.#rules) {
      if (c.prefix === undefined || (c.methods !== undefined && !c.methods.has(method))) continue;
      // `/oauth/*` also covers `/oauth` itself.
      if (path.startsWith(c.prefix) || (c.prefix.endsWith('/') && path === c.prefix.slice(0, -1))) return c.rule;
    }
    return REQUIRED;
  }
}
