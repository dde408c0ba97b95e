export { authService, createAuthService, createAuthModule, authMigrations, type AuthDeps, type AuthModule, type AuthServiceOptions } from './module.js';
export { AuthEnvSchema, toAuthSettings, type AuthEnv, type AuthSettings, type SigningAlg } from './config.js';
export { loadKeyEncryptionKey, KeyEncryptionKeyError } from './crypto/kek.js';
export { USERS_READ_SCOPE } from './routes/internal.routes.js';
export { REFRESH_COOKIE, COOKIE_TRANSPORT_HEADER } from './routes/auth.routes.js';
export { AUTH_SCHEMA } from './services/outbox.js';
export { AuthErrors } from './errors.js';
