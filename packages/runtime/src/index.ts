export { RuntimeEnvSchema, trustProxyOf, type RuntimeEnv } from './env.js';
export { createRuntime, type Runtime } from './runtime.js';
export { lockDataDir, DataDirInUseError } from './data-dir-lock.js';
export {
  CommandError,
  defineService,
  type AnyServiceDefinition,
  type EventConsumer,
  type Identity,
  type IdentityUser,
  type Outbox,
  type ServiceCommand,
  type ServiceContext,
  type ServiceDefinition,
  type ServiceInstance,
  type TokenIssuerDefinition,
  type TokenIssuerInstance,
  type WebSocketEndpoint,
} from './service.js';
export { createServiceHost, migrateServices, type HostedService, type HostEngines, type ServiceHost, type ServiceHostOptions } from './host.js';
export { AuthenticationEnvSchema, IdentityEnvSchema, remoteAuthentication, remoteIdentity, serviceEnvSchema, type AuthenticationEnv, type IdentityEnv } from './authentication-env.js';
export { createSocketEndpoints, type SocketEndpoints } from './sockets.js';
export { runService, serve, type RunningServer, type RunServiceOptions } from './run-service.js';
