import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import type { App, OpenApiDocument } from '@realchat/http';
import type { GatewayContext } from '../context.js';
import { DOCS_CSP, DOCS_OPENER_POLICY } from '../edge/security-headers.js';
import { OpenApiMerger } from './openapi-merge.js';

/**
 * The API reference of the whole system: the document generator (registered before any route it
 * should see, the hosted services' included), `/openapi.json` merging the upstreams' documents,
 * and the `/docs` page.
 */
export async function installDocs(app: App, ctx: GatewayContext): Promise<OpenApiMerger> {
  const { config, logger } = ctx;
  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: config.docs.title, version: config.docs.version },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
    },
  });
  const merger = new OpenApiMerger({ title: config.docs.title, version: config.docs.version, local: () => app.swagger() as unknown as OpenApiDocument, logger });
  app.get('/openapi.json', { schema: { hide: true } }, async () => merger.document());
  // The transform ignores the generated document, so cloning it for every request would be waste.
  await app.register(fastifySwaggerUi, {
    routePrefix: '/docs',
    transformSpecification: () => merger.document(),
    transformSpecificationClone: false,
    // The page (not its static files: a CSP only governs documents) may load its own scripts and styles.
    uiHooks: {
      onRequest: (_request, reply, done) => {
        void reply.header('content-security-policy', DOCS_CSP).header('cross-origin-opener-policy', DOCS_OPENER_POLICY);
        done();
      },
    },
  });
  return merger;
}
