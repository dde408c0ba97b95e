import type { Verifier } from '@realchat/auth-verify';
import type { Clock } from '@realchat/clock';
import type { Logger } from '@realchat/logging';
import type { KeyValueStore } from '@realchat/store';
import type { GatewayConfig } from './config.js';
import type { GatewayMetrics } from './metrics.js';
import type { ServiceDirectory } from './upstreams/directory.js';

/** What the gateway's parts share. */
export interface GatewayContext {
  readonly config: GatewayConfig;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly verifier: Pick<Verifier, 'verify' | 'status'>;
  readonly store: KeyValueStore;
  readonly directory: ServiceDirectory;
  readonly metrics: GatewayMetrics;
  /** Fastify's trustProxy from the configuration. */
  readonly trustProxy: false | string[];
}
