import { randomBytes } from 'node:crypto';
import { repeatAfterEach, type Clock, type TimerHandle } from '@realchat/clock';
import type { Database } from '@realchat/db';
import { constantTimeEqual, newClientSecret, sha256 } from '../crypto/tokens.js';
import { ClientRepository, type ClientRow } from '../repositories/client.repository.js';
import type { AuthEvents } from './outbox.js';

const SCOPE = /^[a-z][a-z0-9:._-]{0,63}$/;

export function isValidScope(scope: string): boolean {
  return SCOPE.test(scope);
}

/** OAuth 2.0 confidential clients (service-to-service). */
export class ClientService {
  readonly #db: Database;
  readonly #clock: Clock;
  readonly #events: AuthEvents;
  readonly #accessTokenTtlMs: number;
  readonly #onRevoked: (clientId: string, until: Date) => void;
  readonly #onTokenRevoked: (tokenId: string, until: Date) => void;
  readonly #reloadIntervalMs: number;
  readonly #onReloadError: (err: unknown) => void;
  readonly #clients = new ClientRepository();
  // Compared against when the client id is unknown, so both failures cost the same.
  readonly #dummyHash = sha256(randomBytes(32).toString('hex'));
  /**
   * The live clients by id. Every grant authenticates from memory: a known client, an unknown
   * one, a revoked one and a wrong secret cost the same, and no query runs per token.
   */
  #live = new Map<string, ClientRow>();
  /** Revoked while this process runs: a reload that read the row before the revocation never brings it back. */
  readonly #revoked = new Set<string>();
  #reloadTimer: TimerHandle | undefined;

  constructor(deps: {
    db: Database;
    clock: Clock;
    events: AuthEvents;
    /** The lifetime of the service tokens this service issues. */
    accessTokenTtlMs: number;
    /** How often the live clients are reloaded (clients created or revoked by another process). */
    reloadIntervalMs: number;
    onReloadError: (err: unknown) => void;
    /** After commit: this instance refuses the client's tokens at once. */
    onRevoked: (clientId: string, until: Date) => void;
    /** After commit: this instance refuses the one service token at once. */
    onTokenRevoked: (tokenId: string, until: Date) => void;
  }) {
    this.#db = deps.db;
    this.#clock = deps.clock;
    this.#events = deps.events;
    this.#accessTokenTtlMs = deps.accessTokenTtlMs;
    this.#reloadIntervalMs = deps.reloadIntervalMs;
    this.#onReloadError = deps.onReloadError;
    this.#onRevoked = deps.onRevoked;
    this.#onTokenRevoked = deps.onTokenRevoked;
  }

  /** Reads the live clients; keeps the ones this instance created since the read began. */
  async load(): Promise<void> {
    const startedAt = this.#clock.now();
    const rows = await this.#clients.listLive(this.#db);
    const next = new Map(rows.filter((row) => !this.#revoked.has(row.id)).map((row) => [row.id, row]));
    for (const [id, row] of this.#live) if (!next.has(id) && row.createdAt >= startedAt) next.set(id, row);
    this.#live = next;
  }

  /** Reloads every `reloadIntervalMs` by the clock. */
  startReloading(): void {
    this.#reloadTimer ??= repeatAfterEach(this.#clock, this.#reloadIntervalMs, () => this.load(), this.#onReloadError);
  }

  stopReloading(): void {
    this.#reloadTimer?.clear();
    this.#reloadTimer = undefined;
  }

  /** The client was revoked (here, or by another instance's `client.revoked`): refused from now on. */
  forget(clientId: string): void {
    this.#revoked.add(clientId);
    this.#live.delete(clientId);
  }

  /** Creates a client; the secret is shown once and stored only as its SHA-256. */
  async create(name: string, scopes: readonly string[]): Promise<{ clientId: string; clientSecret: string; scopes: string[] }> {
    for (const scope of scopes) if (!isValidScope(scope)) throw new Error(`invalid scope ${JSON.stringify(scope)}`);
    const clientId = `svc_${randomBytes(12).toString('base64url')}`;
    const clientSecret = newClientSecret();
    const row: ClientRow = { id: clientId, name, secretHash: sha256(clientSecret), scopes: [...new Set(scopes)], createdAt: this.#clock.now() };
    await this.#clients.insert(this.#db, row);
    this.#live.set(clientId, row);
    return { clientId, clientSecret, scopes: [...new Set(scopes)] };
  }

  authenticate(clientId: string, clientSecret: string): ClientRow | undefined {
    const client = this.#live.get(clientId);
    const ok = constantTimeEqual(sha256(clientSecret), client?.secretHash ?? this.#dummyHash);
    return ok ? client : undefined;
  }

  /** Whether the client exists and is not revoked (its tokens are then no longer active). */
  isLive(clientId: string): boolean {
    return this.#live.has(clientId);
  }

  list(): Promise<Array<Omit<ClientRow, 'secretHash'>>> {
    return this.#clients.list(this.#db);
  }

  /**
   * Revokes a live client and, in the same transaction, records `client.revoked`, so every
   * verifier refuses its still-valid service tokens. False when there is no live client by that id.
   */
  async revoke(clientId: string): Promise<boolean> {
    const now = this.#clock.now();
    // Its last token was issued no later than now (issuing needs a live client); the verifiers'
    // tolerance covers an issue that raced this commit and clock skew between instances.
    const until = new Date(now.getTime() + this.#accessTokenTtlMs);
    const revoked = await this.#db.transaction(async (tx) => {
      if (!(await this.#clients.revoke(tx, clientId, now))) return false;
      await this.#events.record(tx, 'client.revoked', { clientId, accessTokenExpiresAt: until.toISOString() });
      return true;
    });
    if (!revoked) return false;
    this.forget(clientId);
    this.#onRevoked(clientId, until);
    this.#events.committed();
    return true;
  }

  /**
   * Revokes one service token (RFC 7009) by its `jti` until its `exp`: a service token has no
   * session to revoke. Records `token.revoked`, so every verifier refuses it too.
   */
  async revokeToken(tokenId: string, expiresAt: Date): Promise<void> {
    await this.#db.transaction((tx) => this.#events.record(tx, 'token.revoked', { jti: tokenId, expiresAt: expiresAt.toISOString() }));
    this.#onTokenRevoked(tokenId, expiresAt);
    this.#events.committed();
  }
}
