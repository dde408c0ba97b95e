import { randomUUID } from 'node:crypto';
import type { Clock } from '@realchat/clock';
import type { Role } from '@realchat/contracts';
import type { AuthSettings } from '../config.js';
import { signCompact } from '../crypto/jws.js';
import type { KeyService } from './key.service.js';

export interface IssuedAccessToken {
  readonly token: string;
  readonly expiresAt: Date;
  readonly expiresIn: number;
}

/** Signs access tokens (RFC 9068 `at+jwt`): only what authorisation needs, no personal data. */
export class TokenService {
  readonly #keys: KeyService;
  readonly #settings: AuthSettings;
  readonly #clock: Clock;

  constructor(deps: { keys: KeyService; settings: AuthSettings; clock: Clock }) {
    this.#keys = deps.keys;
    this.#settings = deps.settings;
    this.#clock = deps.clock;
  }

  issueUserToken(subject: { userId: string; sessionId: string; roles: readonly Role[] }): IssuedAccessToken {
    return this.#issue({ sub: subject.userId, sid: subject.sessionId, roles: subject.roles });
  }

  issueServiceToken(client: { clientId: string; scopes: readonly string[] }): IssuedAccessToken {
    return this.#issue({ sub: client.clientId, client_id: client.clientId, scope: client.scopes.join(' ') });
  }

  #issue(claims: Record<string, unknown>): IssuedAccessToken {
    const key = this.#keys.signingKey();
    const iat = Math.floor(this.#clock.now().getTime() / 1000);
    const expiresIn = Math.floor(this.#settings.accessTokenTtlMs / 1000);
    const exp = iat + expiresIn;
    const token = signCompact(key, { iss: this.#settings.issuer, aud: this.#settings.audience, ...claims, iat, exp, jti: randomUUID() });
    return { token, expiresAt: new Date(exp * 1000), expiresIn };
  }
}
