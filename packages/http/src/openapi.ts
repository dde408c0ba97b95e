// The route schema's OpenAPI fields (tags, summary, hide) are @fastify/swagger's augmentation of
// FastifySchema; kept in this package's declarations so services built against them see it too.
/// <reference types="@fastify/swagger" preserve="true" />
import fastifySwagger from '@fastify/swagger';
import type { App } from './app.js';
import { PUBLIC_ROUTE_CONFIG } from './public-route.js';

export interface OpenApiOptions {
  readonly title: string;
  readonly version: string;
  readonly description?: string;
  /** Where the document is served, e.g. `/auth/openapi.json` (under the service's own prefix). */
  readonly documentPath: string;
  /** Path prefixes the document covers (`['/auth', '/oauth', '/.well-known']`); default every route. */
  readonly prefixes?: readonly string[];
  /** Top-level members added to the document when it is first served (`x-realchat-service`). */
  readonly extensions?: () => Readonly<Record<string, unknown>>;
}

/** The parts of an OpenAPI document this module touches. */
export interface OpenApiDocument {
  readonly openapi: string;
  readonly info: Readonly<Record<string, unknown>>;
  readonly paths?: Readonly<Record<string, unknown>>;
  readonly components?: Readonly<Record<string, unknown>>;
  readonly tags?: readonly unknown[];
  readonly [member: string]: unknown;
}

function covered(path: string, prefixes: readonly string[]): boolean {
  return prefixes.some((p) => path === p || path.startsWith(`${p}/`));
}

/**
 * Generates the service's OpenAPI 3.1 document from its route schemas (no hand-written copy to
 * drift) and serves it at `documentPath`. Call it before registering routes: routes added earlier
 * are not seen. When the host app already generates a document (the embedded gateway, which
 * hosts every service), only the route is added, serving the host's document cut to `prefixes`.
 */
export async function registerOpenApi(app: App, options: OpenApiOptions): Promise<void> {
  if (!app.hasDecorator('swagger')) {
    await app.register(fastifySwagger, {
      openapi: {
        openapi: '3.1.0',
        info: { title: options.title, version: options.version, ...(options.description === undefined ? {} : { description: options.description }) },
        components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
      },
    });
  }
  const prefixes = options.prefixes;
  let document: OpenApiDocument | undefined;
  app.get(options.documentPath, { schema: { hide: true }, config: PUBLIC_ROUTE_CONFIG }, async () => {
    if (document !== undefined) return document;
    const full = app.swagger() as unknown as OpenApiDocument;
    const paths = Object.fromEntries(Object.entries(full.paths ?? {}).filter(([path]) => prefixes === undefined || covered(path, prefixes)));
    document = { ...full, ...options.extensions?.(), info: { ...full.info, title: options.title, version: options.version }, paths };
    return document;
  });
}
