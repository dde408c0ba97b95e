import type { IncomingMessage } from 'node:http';
import type { Static, TObject } from 'typebox';
import type { WebSocket } from 'ws';
import type { Authentication } from '@realchat/auth-verify';
import type { EventBus, LiveChannel } from '@realchat/bus';
import type { Clock } from '@realchat/clock';
import type { EventDefinition, EventEnvelope, Role } from '@realchat/contracts';
import type { Database, MigrationSource, Queryable } from '@realchat/db';
import type { ServiceErrors } from '@realchat/errors';
import type { App } from '@realchat/http';
import type { Logger } from '@realchat/logging';
import type { KeyValueStore } from '@realchat/store';
import type { RuntimeEnv } from './env.js';

/** Records events in the transaction of the change they describe; the host's relay publishes them after commit. */
export interface Outbox {
  /** The service's schema holding the `outbox` table. */
  readonly schema: string;
  /** Appends `event` (or several, in order, in one statement) with `tx`; throws for an event its contract refuses, so the transaction fails. */
  append(tx: Queryable, event: EventEnvelope | readonly EventEnvelope[]): Promise<void>;
  /** Wakes the relay; call after the transaction committed. */
  committed(): void;
}

/** A user as the token issuer knows them: what other services may learn of an account (never its email). */
export interface IdentityUser {
  readonly id: string;
  readonly displayName: string;
  readonly roles: readonly Role[];
}

/**
 * Looks users up at the token issuer: in process when it is hosted alongside, else over its
 * internal routes with a service token. Throws AppError('SERVICE_UNAVAILABLE') when it cannot ask.
 */
export interface Identity {
  /** The user with this id, or null when there is none. */
  findUser(id: string): Promise<IdentityUser | null>;
  /** The user with this email (compared as the issuer compares emails at login), or null. */
  findUserByEmail(email: string): Promise<IdentityUser | null>;
}

/** What a host hands to a service's `create`: it cannot tell the embedded engines from the real ones. */
export interface ServiceContext<Env> {
  /** The runtime's variables and the service's own, validated once by the host. */
  readonly env: Readonly<Env & RuntimeEnv>;
  readonly db: Database;
  readonly bus: EventBus;
  /** Live fan-out between the service's instances: at most once, for what clients can recover (chat frames). */
  readonly live: LiveChannel;
  readonly store: KeyValueStore;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly outbox: Outbox;
  /** User lookups at the token issuer. */
  readonly identity: Identity;
  /** The absolute data folder when the database is embedded (PGlite), else undefined. */
  readonly embeddedDataDir: string | undefined;
}

/** An event consumer: a durable subscription shared by the service's instances, handled once per event. */
export interface EventConsumer {
  /** Unique within the service; the durable consumer is `<service>-<name>`. */
  readonly name: string;
  readonly types: readonly string[];
  /**
   * Runs at most once per event, in the transaction that records the event as processed
   * (`handleOnce`): a throw rolls both back and the bus redelivers it. Events that wait at once
   * may share one transaction, handled in order; when one throws, each is handled again alone.
   * A function it resolves with is called once that transaction committed (to tell live clients
   * of what it wrote).
   */
  handle(event: EventEnvelope, tx: Queryable): Promise<void | (() => void)>;
}

/** A WebSocket endpoint; the host accepts the upgrade after the edge checks (origin, limits) and hands the socket over. */
export interface WebSocketEndpoint {
  /** Exact path, under one of the service's prefixes (`/chat/ws`). */
  readonly path: string;
  /** Largest frame accepted, in bytes (default 64 KiB); a larger one closes the socket with 1009. */
  readonly maxPayload?: number;
  /**
   * Called with each accepted socket. The endpoint is public at the edge: the socket
   * authenticates with its first frame (ARCHITECTURE.md §8).
   */
  onConnection(socket: WebSocket, request: IncomingMessage): void;
}

/** A command that cannot proceed: the CLI prints its message as one line and exits with 2. */
export class CommandError extends Error {
  readonly code = 'COMMAND_FAILED';
}

/** A `realchat <name> ...` command a service adds to the CLI, run on a created (not started) instance. */
export interface ServiceCommand<I extends ServiceInstance = ServiceInstance> {
  /** The words that select it, e.g. `keys rotate`. */
  readonly name: string;
  /** Arguments after the name, for the usage text (`<email>`). */
  readonly args?: string;
  readonly summary: string;
  /** Writes its answer with `out`; throws CommandError (or any error) to fail with one line. */
  run(instance: I, input: { readonly args: readonly string[]; readonly options: Readonly<Record<string, readonly string[]>> }, out: (line: string) => void): Promise<void>;
}

/** A running service instance, as `create` returns it. */
export interface ServiceInstance {
  /**
   * Adds the routes (each declaring its access rule in `config`: `auth`, `roles`, `scopes`) and
   * readiness checks (`app.probes`). Called once, before the app is ready.
   */
  register(app: App): Promise<void>;
  readonly consumers?: readonly EventConsumer[];
  readonly websockets?: readonly WebSocketEndpoint[];
  /** Background work; called once the app listens (or is ready, when embedded). */
  start?(): Promise<void>;
  /** Stops background work and closes what the instance opened itself. */
  stop?(): Promise<void>;
}

/** The instance of the service that issues tokens (auth): it authenticates the others in embedded mode. */
export interface TokenIssuerInstance extends ServiceInstance {
  readonly authentication: Authentication;
  /** Serves the other services' `identity` when they are hosted in the same process. */
  readonly identity: Identity;
}

interface ServiceDeclaration<E extends TObject, I extends ServiceInstance> {
  /** `auth`, `chat`, ... : also its first path prefix and the name it announces. */
  readonly name: string;
  /** Path prefixes the service owns; `/<name>` among them. The gateway routes them here, never rewritten. */
  readonly prefixes: readonly string[];
  /** The service's own environment variables (the runtime's come on top). */
  readonly env: E;
  /** The service's own database schema and its migrations (the bus tables are added when it publishes or consumes). */
  readonly database?: { readonly schema: string; readonly migrations: readonly MigrationSource[] };
  /** Its own error codes (`defineErrors`). */
  readonly errors?: ServiceErrors;
  /** The event types it publishes through its outbox (validated when appended and when received). */
  readonly publishes?: readonly EventDefinition<string, TObject>[];
  /** Commands it adds to the CLI (`realchat keys rotate`). */
  readonly commands?: readonly ServiceCommand<I>[];
}

/** A service that verifies the tokens another service issues. */
export interface ServiceDefinition<E extends TObject = TObject, I extends ServiceInstance = ServiceInstance> extends ServiceDeclaration<E, I> {
  readonly issuesTokens?: false;
  create(context: ServiceContext<Static<E>> & { readonly authentication: Authentication }): Promise<I>;
}

/** The service that issues the tokens; one per system. */
export interface TokenIssuerDefinition<E extends TObject = TObject, I extends TokenIssuerInstance = TokenIssuerInstance> extends ServiceDeclaration<E, I> {
  readonly issuesTokens: true;
  create(context: ServiceContext<Static<E>>): Promise<I>;
}

export type AnyServiceDefinition = ServiceDefinition<TObject, ServiceInstance> | TokenIssuerDefinition<TObject, TokenIssuerInstance>;

/** Identity, for type inference at the definition site. */
export function defineService<E extends TObject, I extends ServiceInstance>(definition: ServiceDefinition<E, I>): ServiceDefinition<E, I>;
export function defineService<E extends TObject, I extends TokenIssuerInstance>(definition: TokenIssuerDefinition<E, I>): TokenIssuerDefinition<E, I>;
export function defineService(definition: AnyServiceDefinition): AnyServiceDefinition {
  if (!definition.prefixes.includes(`/${definition.name}`)) throw new TypeError(`service ${definition.name}: its prefixes must include /${definition.name}`);
  return definition;
}
