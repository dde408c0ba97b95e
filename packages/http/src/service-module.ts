import type { App } from './app.js';

/**
 * What a service hands to whoever hosts it: its own server.ts (distributed mode, one service per
 * process) or the gateway (embedded mode, every service in one process on one port).
 */
export interface ServiceModule {
  /** `auth`, `chat`, `forum`, `notifications`. */
  readonly name: string;
  /** Path prefixes the service owns; the gateway routes them here and never rewrites them. */
  readonly prefixes: readonly string[];
  /** Adds the service's routes and readiness checks to `app` (call before `app.ready()`). */
  register(app: App): Promise<void>;
  /** Starts background work (outbox relay, schedules). */
  start(): Promise<void>;
  /** Stops background work and closes what the module itself opened. */
  stop(): Promise<void>;
}
