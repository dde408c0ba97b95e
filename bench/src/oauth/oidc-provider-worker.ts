// Child-process entry: panva's oidc-provider issuing RS256 JWT access tokens by the
// client-credentials grant to one static client; sends `{ port }` once it listens.
import { generateKeyPairSync } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import Provider from 'oidc-provider';

const { clientId, clientSecret, scope } = JSON.parse(process.argv[2] ?? '{}') as { clientId: string; clientSecret: string; scope: string };
const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const jwk = { ...privateKey.export({ format: 'jwk' }), kid: 'bench', use: 'sig', alg: 'RS256' };

const provider = new Provider('http://127.0.0.1', {
  clients: [
    { client_id: clientId, client_secret: clientSecret, grant_types: ['client_credentials'], redirect_uris: [], response_types: [], token_endpoint_auth_method: 'client_secret_post', scope },
  ],
  jwks: { keys: [jwk] },
  cookies: { keys: ['bench-cookie-key-not-a-secret'] },
  routes: { token: '/oauth/token' },
  scopes: [scope],
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    // A JWT access token (RS256) for the one resource server, as ours issues.
    resourceIndicators: {
      enabled: true,
      defaultResource: () => 'urn:realchat',
      useGrantedResource: () => true,
      getResourceServerInfo: () => ({ scope, audience: 'realchat', accessTokenTTL: 900, accessTokenFormat: 'jwt', jwt: { sign: { alg: 'RS256' } } }),
    },
  },
});

const server = provider.listen(0, '127.0.0.1');
server.once('listening', () => process.send?.({ port: (server.address() as AddressInfo).port }));
process.once('disconnect', () => process.exit(0));
