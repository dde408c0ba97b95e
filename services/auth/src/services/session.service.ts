
import { newId } from '@realchat/contracts';
import type { Clock } from '@realchat/clock';
import type { Database, Queryable } from '@realchat/db';
import { AppError } from '@realchat/errors';
import type { AuthSettings } from '../config.js';
import { constantTimeEqual, looksLikeRefreshToken, newRefreshToken, sha256, successorOf } from '../crypto/tokens.js';
import type { KeysetPosition } from '../repositories/keyset.js';
import { SessionRepository, type SessionRow } from '../repositories/session.repository.js';
import { UserRepository, type UserRow } from '../repositories/user.repository.js';
import type { AuthEvents } from './outbox.js';
import type { TokenService } from './token.service.js';

export interface TokenPair {
  readonly accessToken: string;
  readonly expiresIn: number;
  readonly refreshToken: string;
  readonly refreshExpiresIn: number;
  readonly sessionId: string;
  readonly userId: string;
}

export interface ClientMeta {
  readonly userAgent: string | null;
  readonly ip: string | null;
  /** The authenticated OAuth client the session is for; absent or null: first-party (the API's own login). */
  readonly oauthClientId?: string | null;
}

export type RevocationReason = 'logout' | 'logout_all' | 'user_revoked' | 'password_changed' | 'reuse_detected' | 'roles_changed' | 'admin';

export type SessionFilter = { sessionId: string } | { userId: string; exceptSessionId?: string };
export type RevokedSession = { id: string; userId: string; accessExpiresAt: Date };

// Ended sessions stay a day for support and audit before they are deleted.
const PURGE_DELAY_MS = 86_400_000;

// RFC 9110 11.6.1 wants a challenge on every 401; RFC 6750 3.1 names the error.
const invalidToken = (detail = 'the refresh token is not valid'): AppError =>
  new AppError('INVALID_TOKEN', detail, { headers: { 'www-authenticate': 'Bearer realm="realchat", error="invalid_token"' } });

/**
 * Sessions are refresh-token families. Rotation is a compare-and-swap on the token row: the
 * winner spends the token (one statement in the common case); a concurrent or immediate replay
 * within the grace window gets the same successor (derived from the token, never stored in
 * clear); any other replay revokes the family.
 */
export class SessionService {
  readonly #db: Database;
  readonly #tokens: TokenService;
  readonly #events: AuthEvents;
  readonly #settings: AuthSettings;
  readonly #clock: Clock;
  readonly #derivationKey: Buffer;
  readonly #onRevoked: (sessionId: string, until: Date) => void;
  readonly #sessions = new SessionRepository();
  readonly #users = new UserRepository();

  constructor(deps: {
    db: Database;
    tokens: TokenService;
    events: AuthEvents;
    settings: AuthSettings;
    clock: Clock;
    derivationKey: Buffer;
    onRevoked: (sessionId: string, until: Date) => void;
  }) {
    this.#db = deps.db;
    this.#tokens = deps.tokens;
    this.#events = deps.events;
    this.#settings = deps.settings;
    this.#clock = deps.clock;
    this.#derivationKey = deps.derivationKey;
    this.#onRevoked = deps.onRevoked;
  }

  /** Opens a new family for a user who just proved who they are. */
  async start(user: UserRow, meta: ClientMeta): Promise<TokenPair> {
    const now = this.#clock.now();
    const sessionId = newId();
    const access = this.#tokens.issueUserToken({ userId: user.id, sessionId, roles: user.roles });
    const refreshToken = newRefreshToken();
    const sessionExpiresAt = new Date(now.getTime() + this.#settings.sessionMaxLifetimeMs);
    const refreshExpiresAt = new Date(Math.min(now.getTime() + this.#settings.refreshTokenTtlMs, sessionExpiresAt.getTime()));
    const userAgent = meta.userAgent?.slice(0, 300) ?? null;
    await this.#db.transaction(async (tx) => {
      const seen = await this.#sessions.deviceHistory(tx, user.id, userAgent);
      await this.#sessions.insertSession(tx, {
        id: sessionId,
        userId: user.id,
        clientId: meta.oauthClientId ?? null,
        at: now,
        expiresAt: sessionExpiresAt,
        accessExpiresAt: access.expiresAt,
        userAgent,
        ip: meta.ip,
      });
      await this.#sessions.insertToken(tx, { hash: sha256(refreshToken), sessionId, parentHash: null, at: now, expiresAt: refreshExpiresAt });
      await this.#events.record(tx, 'session.started', {
        sessionId,
        userId: user.id,
        userAgent,
        newDevice: seen.signedInBefore && !seen.withThisAgent,
        startedAt: now.toISOString(),
      });
    });
    this.#events.committed();
    return this.#pair(access, refreshToken, refreshExpiresAt, sessionId, user.id, now);
  }

  /**
   * Rotates a refresh token presented by `clientId` (null: first-party). A token of another
   * client's session is refused and left as it was: only its own client may use it.
   */
  async refresh(refreshToken: string, clientId: string | null): Promise<TokenPair> {
    if (!looksLikeRefreshToken(refreshToken)) throw invalidToken();
    const hash = sha256(refreshToken);
    const successor = successorOf(refreshToken, this.#derivationKey);
    const successorHash = sha256(successor);

    // Fast path, one statement: the access token is signed after it (it needs the roles), so the
    // session records the `exp` the token service will compute from this instant (whole seconds).
    const now = this.#clock.now();
    const expectedAccessExpiresAt = new Date((Math.floor(now.getTime() / 1000) + Math.floor(this.#settings.accessTokenTtlMs / 1000)) * 1000);
    const rotated = await this.#sessions.rotate(this.#db, {
      hash,
      successorHash,
      clientId,
      at: now,
      successorExpiresAt: new Date(now.getTime() + this.#settings.refreshTokenTtlMs),
      accessExpiresAt: expectedAccessExpiresAt,
    });
    if (rotated !== undefined) {
      const access = this.#tokens.issueUserToken({ userId: rotated.userId, sessionId: rotated.sessionId, roles: rotated.roles });
      // The clock crossed a second since: revocation must still outlive this token.
      if (access.expiresAt > expectedAccessExpiresAt) await this.#sessions.touch(this.#db, rotated.sessionId, now, access.expiresAt);
      return this.#pair(access, successor, rotated.successorExpiresAt, rotated.sessionId, rotated.userId, now);
    }

    // Anything else (unknown, expired, revoked, or a replay: grace or theft) is decided under a row lock.
    const outcome = await this.#db.transaction(async (tx) => {
      const now = this.#clock.now();
      const state = await this.#sessions.lockToken(tx, hash);
      if (state === undefined || state.sessionRevokedAt !== null) return { kind: 'invalid' } as const;
      if (state.expiresAt <= now || state.sessionExpiresAt <= now) return { kind: 'invalid' } as const;
      if (state.clientId !== clientId) return { kind: 'invalid' } as const;
      const user = await this.#users.findById(tx, state.userId);
      if (user === undefined) return { kind: 'invalid' } as const;
      let successorExpiresAt: Date;
      if (state.spentAt === null) {
        successorExpiresAt = new Date(Math.min(now.getTime() + this.#settings.refreshTokenTtlMs, state.sessionExpiresAt.getTime()));
        await this.#sessions.markSpent(tx, hash, successorHash, now);
        await this.#sessions.insertToken(tx, { hash: successorHash, sessionId: state.sessionId, parentHash: hash, at: now, expiresAt: successorExpiresAt });
      } else {
        const immediateParent = state.successorHash !== null && !state.successorSpent && constantTimeEqual(state.successorHash, successorHash);
        const withinGrace = now.getTime() - state.spentAt.getTime() <= this.#settings.refreshGraceMs;
        if (!immediateParent || !withinGrace) {
          return { kind: 'reused', revoked: await this.revokeIn(tx, { sessionId: state.sessionId }, 'reuse_detected') } as const;
        }
        successorExpiresAt = new Date(Math.min(state.spentAt.getTime() + this.#settings.refreshTokenTtlMs, state.sessionExpiresAt.getTime()));
      }
      const access = this.#tokens.issueUserToken({ userId: user.id, sessionId: state.sessionId, roles: user.roles });
      await this.#sessions.touch(tx, state.sessionId, now, access.expiresAt);
      return { kind: 'ok', pair: this.#pair(access, successor, successorExpiresAt, state.sessionId, user.id, now) } as const;
    });
    if (outcome.kind === 'ok') return outcome.pair;
    if (outcome.kind === 'reused') {
      this.applyRevoked(outcome.revoked);
      throw invalidToken('the refresh token was already used; the session has been revoked');
    }
    throw invalidToken();
  }

  /** Logout: revokes the family of a refresh token. Unknown tokens are ignored (no oracle). */
  async revokeByRefreshToken(refreshToken: string, reason: RevocationReason): Promise<{ sessionId: string; userId: string } | undefined> {
    if (!looksLikeRefreshToken(refreshToken)) return undefined;
    const { rows } = await this.#db.query<{ sessionId: string; userId: string }>(
      `select t.session_id as "sessionId", s.user_id as "userId" from auth.refresh_tokens t join auth.sessions s on s.id = t.session_id where t.token_hash = $1`,
      [sha256(refreshToken)],
    );
    const found = rows[0];
    if (found === undefined) return undefined;
    await this.revoke({ sessionId: found.sessionId }, reason);
    return found;
  }

  /** Revokes one session or every session of a user; emits `session.revoked` for each. */
  async revoke(filter: SessionFilter, reason: RevocationReason): Promise<number> {
    const revoked = await this.#db.transaction((tx) => this.revokeIn(tx, filter, reason));
    this.applyRevoked(revoked);
    return revoked.length;
  }

  /**
   * Revokes inside the caller's transaction and records a `session.revoked` event for each session.
   * After the commit, the caller passes the result to `applyRevoked`.
   */
  async revokeIn(tx: Queryable, filter: SessionFilter, reason: RevocationReason): Promise<RevokedSession[]> {
    const revoked = await this.#sessions.revoke(tx, filter, reason, this.#clock.now());
    for (const session of revoked) {
      await this.#events.record(tx, 'session.revoked', {
        sessionId: session.id,
        userId: session.userId,
        accessTokenExpiresAt: session.accessExpiresAt.toISOString(),
        reason,
      });
    }
    return revoked;
  }

  /** After commit: this instance refuses the sessions' access tokens at once; the relay tells the others. */
  applyRevoked(revoked: readonly RevokedSession[]): void {
    if (revoked.length === 0) return;
    for (const session of revoked) this.#onRevoked(session.id, session.accessExpiresAt);
    this.#events.committed();
  }

  /** Deletes sessions that can no longer matter: expired, or revoked with every access token expired. */
  purgeEnded(): Promise<number> {
    return this.#sessions.purge(this.#db, new Date(this.#clock.now().getTime() - PURGE_DELAY_MS));
  }

  async revokeOwned(userId: string, sessionId: string): Promise<void> {
    const session = await this.#sessions.findSession(this.#db, sessionId);
    if (session === undefined || session.userId !== userId) throw new AppError('NOT_FOUND', 'no such session');
    await this.revoke({ sessionId }, 'user_revoked');
  }

  /** The user's live sessions, newest first: `limit` of them, plus one more when another page follows. */
  listLive(userId: string, page: { limit: number; after?: KeysetPosition | undefined }): Promise<SessionRow[]> {
    return this.#sessions.listLive(this.#db, userId, this.#clock.now(), { take: page.limit + 1, after: page.after });
  }

  /** Introspection of a refresh token (RFC 7662); never mutates. */
  async inspectRefreshToken(refreshToken: string): Promise<{ sessionId: string; userId: string; expiresAt: Date; issuedAt: Date } | undefined> {
    if (!looksLikeRefreshToken(refreshToken)) return undefined;
    const now = this.#clock.now();
    const { rows } = await this.#db.query<{ sessionId: string; userId: string; expiresAt: Date; issuedAt: Date }>(
      `select t.session_id as "sessionId", s.user_id as "userId", t.expires_at as "expiresAt", t.issued_at as "issuedAt"
         from auth.refresh_tokens t join auth.sessions s on s.id = t.session_id
        where t.token_hash = $1 and t.spent_at is null and t.expires_at > $2 and s.revoked_at is null and s.expires_at > $2`,
      [sha256(refreshToken), now],
    );
    return rows[0];
  }

  async isSessionLive(sessionId: string): Promise<boolean> {
    const session = await this.#sessions.findSession(this.#db, sessionId);
    return session !== undefined && session.revokedAt === null;
  }

  #pair(access: { token: string; expiresIn: number }, refreshToken: string, refreshExpiresAt: Date, sessionId: string, userId: string, now: Date): TokenPair {
    return {
      accessToken: access.token,
      expiresIn: access.expiresIn,
      refreshToken,
      refreshExpiresIn: Math.max(0, Math.floor((refreshExpiresAt.getTime() - now.getTime()) / 1000)),
      sessionId,
      userId,
    };
  }
}
