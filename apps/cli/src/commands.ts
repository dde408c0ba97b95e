import { Type, type Static } from 'typebox';
import { AUTH_SCHEMA, AuthEnvSchema, createAuthModule, loadKeyEncryptionKey, toAuthSettings, type AuthModule } from '@realchat/auth';
import { GatewayEnvSchema } from '@realchat/gateway';
import { RuntimeEnvSchema, type Runtime } from '@realchat/runtime';

/** Every variable of the embedded system: the runtime's, auth's and the gateway's. */
export const CliEnvSchema = Type.Object({ ...RuntimeEnvSchema.properties, ...AuthEnvSchema.properties, ...GatewayEnvSchema.properties });
export type CliEnv = Static<typeof CliEnvSchema>;

/** Builds the auth module without starting its background work: for one-shot admin commands. */
export async function openAuth(env: CliEnv, runtime: Runtime): Promise<AuthModule> {
  const keyEncryptionKey = await loadKeyEncryptionKey({
    value: env.AUTH_KEY_ENCRYPTION_KEY,
    file: env.AUTH_KEY_ENCRYPTION_KEY_FILE,
    embeddedDataDir: runtime.embeddedDataDir,
    logger: runtime.logger,
  });
  return createAuthModule({ ...runtime, settings: toAuthSettings(env), keyEncryptionKey });
}

/** The outbox schema of each service this CLI runs, by service name. */
export const OUTBOX_SCHEMAS: Readonly<Record<string, string>> = { auth: AUTH_SCHEMA };

export const USAGE = `usage: realchat <command>

  start                             run the whole system (gateway + services) on one port
  migrate                           apply database migrations and exit
  keys rotate                       publish a new signing key (it signs after AUTH_KEY_PUBLISH_LEAD)
  keys list                         show the published signing keys
  admin grant <email>               make a registered account ADMIN
  clients create <name> --scope S   create a service client (client-credentials grant); prints the secret once
  clients list                      list service clients
  clients revoke <client-id>        revoke a service client
  outbox failed                     list the events the outbox relay gave up on (dead letters)
  outbox requeue <service> <seq|all>  send dead letters again, once their cause is fixed

Configuration comes from environment variables (see README.md); with no DATABASE_URL, REDIS_URL
or NATS_URL the embedded engines are used, with data under DATA_DIR (default ./data).`;
