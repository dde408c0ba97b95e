export { buildGateway, type GatewayDeps, type GatewayControl } from './app.js';
export { gatewayConfig, type GatewayConfig, type RateLimitSetting } from './config.js';
export type { RouteEntry } from './upstreams/route-table.js';
export { GATEWAY_RULES, type AccessRule } from './edge/access-policy.js';
export { IDENTITY_HEADER_PREFIXES } from './proxy/headers.js';
export { GatewayEnvSchema, toGatewayConfig, type GatewayEnv } from './env.js';
