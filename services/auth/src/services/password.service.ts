import bcrypt from 'bcrypt';
import { AppError } from '@realchat/errors';

// bcrypt reads at most 72 bytes and would silently ignore the rest.
const MAX_PASSWORD_BYTES = 72;
const MIN_PASSWORD_LENGTH = 8;

// The most common leaked passwords of 8+ characters: rejected outright.
const COMMON = new Set([
  'password', 'password1', 'password12', 'password123', 'password1234', 'passw0rd', 'p@ssw0rd', 'p@ssword',
  '12345678', '123456789', '1234567890', '0123456789', '87654321', '11111111', '00000000', '12341234', '11223344',
  'qwertyui', 'qwertyuiop', 'qwerty123', 'qwerty12', '1q2w3e4r', '1q2w3e4r5t', 'q1w2e3r4', 'asdfghjk', 'asdfasdf', 'zxcvbnm1',
  'iloveyou', 'sunshine', 'princess', 'football', 'baseball', 'welcome1', 'welcome123', 'letmein1', 'trustno1',
  'superman', 'starwars', 'whatever', 'dragon12', 'monkey12', 'abc12345', 'abcd1234', 'aa123456', 'changeme', 'computer',
  'internet', 'michelle', 'jennifer', 'liverpool', 'chelsea1', 'admin123', 'administrator', 'realchat', 'realchat1',
]);

/** Password rules, hashing off the event loop (libuv pool) and the dummy hash that unknown emails pay. */
export class PasswordService {
  readonly #cost: number;
  #dummyHash: Promise<string> | undefined;

  constructor(cost: number) {
    this.#cost = cost;
  }

  /** Throws WEAK_PASSWORD (400) with the reason, listing the field as `path`. */
  assertAcceptable(password: string, context: { email?: string; path: string }): void {
    const reject = (message: string): never => {
      throw new AppError('WEAK_PASSWORD', message, { errors: [{ path: context.path, message }] });
    };
    if ([...password].length < MIN_PASSWORD_LENGTH) reject(`must be at least ${MIN_PASSWORD_LENGTH} characters`);
    if (Buffer.byteLength(password, 'utf8') > MAX_PASSWORD_BYTES) reject(`must be at most ${MAX_PASSWORD_BYTES} bytes in UTF-8`);
    const lower = password.toLowerCase();
    if (COMMON.has(lower)) reject('is one of the most common passwords');
    if (new Set(password).size < 4) reject('must use at least 4 different characters');
    const local = context.email?.split('@')[0]?.toLowerCase();
    if (local !== undefined && local.length >= 4 && lower.includes(local)) reject('must not contain the email address');
  }

  hash(password: string): Promise<string> {
    return bcrypt.hash(password, this.#cost);
  }

  verify(password: string, hash: string): Promise<boolean> {
    return bcrypt.compare(password, hash);
  }

  /** Same cost as a real check, so an unknown email takes as long as a wrong password. */
  async verifyAgainstDummy(password: string): Promise<void> {
    this.#dummyHash ??= bcrypt.hash('realchat-dummy-password', this.#cost);
    await bcrypt.compare(password, await this.#dummyHash);
  }

  /** Prepares the dummy hash ahead of the first login. */
  async warmUp(): Promise<void> {
    this.#dummyHash ??= bcrypt.hash('realchat-dummy-password', this.#cost);
    await this.#dummyHash;
  }

  needsRehash(hash: string): boolean {
    return bcrypt.getRounds(hash) < this.#cost;
  }
}
