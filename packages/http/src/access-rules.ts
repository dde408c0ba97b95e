import type { App } from './app.js';

/** `none`: public; `optional`: a token, if sent, must be valid; `required`: a valid token. */
export type AccessMode = 'required' | 'optional' | 'none';

/**
 * What a route demands of a caller, as its `config` says (`auth`, default `required`; `roles`;
 * `scopes`), for a host or gateway to enforce before the request reaches the service.
 */
export interface AccessRule {
  /** A route pattern as Fastify writes it: `/auth/sessions/:id`, `/docs*`. */
  readonly path: string;
  /** Only these methods; default all. */
  readonly methods?: readonly string[];
  readonly auth: AccessMode;
  /** The caller needs one of these roles. */
  readonly roles?: readonly string[];
  /** The caller needs every one of these scopes. */
  readonly scopes?: readonly string[];
}

const MODES: ReadonlySet<string> = new Set(['required', 'optional', 'none']);

function strings(value: unknown): readonly string[] | undefined {
  return Array.isArray(value) && value.every((v) => typeof v === 'string') && value.length > 0 ? (value as string[]) : undefined;
}

function covered(path: string, prefixes: readonly string[]): boolean {
  return prefixes.some((p) => path === p || path.startsWith(`${p}/`));
}

/**
 * Records the access rule of every route added to `app` (and its child contexts) from now on,
 * under `prefixes`: the routes declare their access rules, and the hosts read them from here
 * instead of keeping a list of their own. Call before the routes are registered.
 */
export function collectAccessRules(app: App, prefixes: readonly string[]): readonly AccessRule[] {
  const rules: AccessRule[] = [];
  app.addHook('onRoute', (route) => {
    if (!covered(route.url, prefixes)) return;
    const config = (route.config ?? {}) as Record<string, unknown>;
    const auth = typeof config['auth'] === 'string' && MODES.has(config['auth']) ? (config['auth'] as AccessMode) : 'required';
    const roles = strings(config['roles']);
    const scopes = strings(config['scopes']);
    rules.push({
      path: route.url,
      methods: (Array.isArray(route.method) ? route.method : [route.method]).map((m) => m.toUpperCase()),
      auth,
      ...(roles === undefined ? {} : { roles }),
      ...(scopes === undefined ? {} : { scopes }),
    });
  });
  return rules;
}
