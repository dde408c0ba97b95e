import { randomBytes } from 'node:crypto';
import type { Clock } from '@realchat/clock';
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
  readonly #clients = new ClientRepository();
  // Compared against when the client id is unknown, so both failures cost the same.
  readonly #dummyHash = sha256(randomBytes(32).toString('hex'));

  constructor(deps: {
    db: Database;
    clock: Clock;
    events: AuthEvents;
    /** The lifetime of the service tokens this service issues. */
    accessTokenTtlMs: number;
    /** After commit: this instance refuses the client's tokens at once. */
    onRevoked: (clientId: string, until: Date) => void;
    /** After commit: this instance refuses the one service token at once. */
    onTokenRevoked: (tokenId: string, until: Date) => void;
  }) {
    this.#db = deps.db;
    this.#clock = deps.clock;
    this.#events = deps.events;
    this.#accessTokenTtlMs = deps.accessTokenTtlMs;
    this.#onRevoked = deps.onRevoked;
    this.#onTokenRevoked = deps.onTokenRevoked;
  }

  /** Creates a client; the secret is shown once and stored only as its SHA-256. */
  async create(name: string, scopes: readonly string[]): Promise<{ clientId: string; clientSecret: string; scopes: string[] }> {
    for (const scope of scopes) if (!isValidScope(scope)) throw new Error(`invalid scope ${JSON.stringify(scope)}`);
    const clientId = `svc_${randomBytes(12).toString('base64url')}`;
    const clientSecret = newClientSecret();
    await this.#clients.insert(this.#db, { id: clientId, name, secretHash: sha256(clientSecret), scopes: [...new Set(scopes)], createdAt: this.#clock.now() });
    return { clientId, clientSecret, scopes: [...new Set(scopes)] };
  }

  async authenticate(clientId: string, clientSecret: string): Promise<ClientRow | undefined> {
    const client = await this.#clients.findLive(this.#db, clientId);
    const ok = constantTimeEqual(sha256(clientSecret), client?.secretHash ?? this.#dummyHash);
    return ok ? client : undefined;
  }

  /** Whether the client exists and is not revoked (its tokens are then no longer active). */
  async isLive(clientId: string): Promise<boolean> {
    return (await this.#clients.findLive(this.#db, clientId)) !== undefined;
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
