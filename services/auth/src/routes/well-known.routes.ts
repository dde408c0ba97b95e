import { Type } from 'typebox';
import type { App } from '@realchat/http';
import type { AuthSettings } from '../config.js';
import type { KeyService } from '../services/key.service.js';

const Jwks = Type.Object({ keys: Type.Array(Type.Object({ kid: Type.String(), alg: Type.String(), use: Type.String(), kty: Type.String() }, { additionalProperties: true })) });

export async function wellKnownRoutes(app: App, deps: { keys: KeyService; settings: AuthSettings }): Promise<void> {
  const { keys, settings } = deps;
  const tags = ['discovery'];
  const base = settings.issuer.replace(/\/+$/, '');

  app.get('/.well-known/jwks.json', { config: { auth: 'none' }, schema: { tags, response: { 200: Jwks } } }, async (_request, reply) =>
    reply.header('cache-control', `public, max-age=${keys.jwksMaxAgeSeconds()}`).send(keys.jwks()),
  );

  app.get('/.well-known/openid-configuration', { config: { auth: 'none' }, schema: { tags } }, async (_request, reply) =>
    reply.header('cache-control', 'public, max-age=3600').send({
      issuer: settings.issuer,
      jwks_uri: `${base}/.well-known/jwks.json`,
      token_endpoint: `${base}/oauth/token`,
      revocation_endpoint: `${base}/oauth/revoke`,
      introspection_endpoint: `${base}/oauth/introspect`,
      grant_types_supported: ['password', 'refresh_token', 'client_credentials'],
      response_types_supported: ['token'],
      subject_types_supported: ['public'],
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
      revocation_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
      introspection_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
      id_token_signing_alg_values_supported: [keys.signingKey().alg],
      claims_supported: ['iss', 'aud', 'sub', 'sid', 'roles', 'scope', 'client_id', 'iat', 'exp', 'jti'],
    }),
  );
}
