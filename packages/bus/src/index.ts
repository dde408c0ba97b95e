export type { BatchHandler, EventBus, EventHandler, SubscribeOptions, Subscription } from './types.js';
export { createInProcessBus, type InProcessBusOptions } from './in-process.js';
export { createJetStreamBus, type JetStreamBusOptions } from './jetstream.js';
export { appendToOutbox, handleAllOnce, handleOnce, busMigrations, type HandleOnceOptions } from './outbox.js';
export { MAX_EVENT_BYTES } from './internal/event-size.js';
export { createOutboxRelay, type OutboxRelay, type OutboxRelayOptions } from './relay.js';
export { listDeadLetters, requeueDeadLetters, type DeadLetter, type ListDeadLettersOptions } from './dead-letters.js';
export type { OutboxBacklog, OutboxFailureKind, OutboxRelayMetrics } from './metrics.js';
export { createInProcessLiveChannel, createNatsLiveChannel, type LiveChannel, type LiveChannelStats, type LiveHandler, type NatsLiveChannelOptions } from './live.js';
