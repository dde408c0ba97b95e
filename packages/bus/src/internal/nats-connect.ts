import { connect, type NatsConnection } from '@nats-io/transport-node';

/** How the bus and the live channel reach NATS. */
export interface NatsConnectOptions {
  readonly servers: string | readonly string[];
  readonly name?: string;
  /** How long the first connection may take (default 5 s). */
  readonly timeoutMs?: number;
  /** Pause between reconnection attempts (default 2 s). */
  readonly reconnectTimeWaitMs?: number;
}

/** A connection that reconnects forever; the first attempt fails after `timeoutMs`. */
export function connectNats(options: NatsConnectOptions): Promise<NatsConnection> {
  return connect({
    servers: typeof options.servers === 'string' ? options.servers : [...options.servers],
    maxReconnectAttempts: -1,
    reconnectTimeWait: options.reconnectTimeWaitMs ?? 2000,
    timeout: options.timeoutMs ?? 5000,
    // Else every request (each JetStream publish awaits its ack) builds two errors with stack
    // traces up front, in case it fails: a measurable share of the relay's CPU under load.
    noAsyncTraces: true,
    ...(options.name === undefined ? {} : { name: options.name }),
  });
}
