import bcrypt from 'bcrypt';
import { AppError } from '@realchat/errors';
import { AuthErrors } from '../errors.js';
import { BcryptThreads } from './bcrypt-threads.js';

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

/**
 * Password rules, hashing on bcrypt threads of lower priority (`BcryptThreads`) and the dummy hash
 * that unknown emails pay. At most `concurrency` bcrypt operations run at once, the rest wait in
 * arrival order: unbounded, hashes take every core and the event loop (and PGlite, which runs on
 * it) starves. A throttled login never gets here, so the login limits bound the queue.
 */
export class PasswordService {
  readonly #cost: number;
  readonly #limit: FifoLimit;
  readonly #threads: BcryptThreads;
  #dummyHash: Promise<string> | undefined;

  /** `nice`: the threads' nice value (Linux, 0–19; 0 runs them at the event loop's priority). */
  constructor(options: { cost: number; concurrency: number; nice?: number }) {
    this.#cost = options.cost;
    this.#limit = new FifoLimit(options.concurrency);
    this.#threads = new BcryptThreads({ size: options.concurrency, nice: options.nice ?? 0 });
  }

  /** bcrypt operations running now. */
  get inFlight(): number {
    return this.#limit.running;
  }

  /** bcrypt operations waiting for a slot. */
  get queued(): number {
    return this.#limit.waiting;
  }

  /** Throws WEAK_PASSWORD (400) with the reason, listing the field as `path`. */
  assertAcceptable(password: string, context: { email?: string; path: string }): void {
    const reject = (message: string): never => {
      throw new AppError(AuthErrors.WEAK_PASSWORD, message, { errors: [{ path: context.path, message }] });
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
    return this.#limit.run(() => this.#threads.hash(password, this.#cost));
  }

  verify(password: string, hash: string): Promise<boolean> {
    return this.#limit.run(() => this.#threads.compare(password, hash));
  }

  /** Same cost and same place in the queue as a real check, so an unknown email takes as long as a wrong password. */
  async verifyAgainstDummy(password: string): Promise<void> {
    await this.#limit.run(async () => this.#threads.compare(password, await this.#dummy()));
  }

  /** Stops the bcrypt threads once idle. */
  close(): Promise<void> {
    return this.#threads.close();
  }

  /** Prepares the dummy hash ahead of the first login. */
  async warmUp(): Promise<void> {
    await this.#limit.run(() => this.#dummy());
  }

  needsRehash(hash: string): boolean {
    return bcrypt.getRounds(hash) < this.#cost;
  }

  /** Only called holding a slot, so the dummy hash counts against the limit too. */
  #dummy(): Promise<string> {
    this.#dummyHash ??= this.#threads.hash('realchat-dummy-password', this.#cost).catch((error: unknown) => {
      this.#dummyHash = undefined;
      throw error;
    });
    return this.#dummyHash;
  }
}

/** A counting semaphore that grants slots first come, first served. */
class FifoLimit {
  readonly #max: number;
  readonly #waiters: Array<() => void> = [];
  #running = 0;

  constructor(max: number) {
    if (!Number.isInteger(max) || max < 1) throw new RangeError(`concurrency must be an integer >= 1 (got ${max})`);
    this.#max = max;
  }

  get running(): number {
    return this.#running;
  }

  get waiting(): number {
    return this.#waiters.length;
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.#running < this.#max) this.#running++;
    // The releasing task hands its slot over directly, so a newcomer cannot overtake the queue.
    else await new Promise<void>((resolve) => this.#waiters.push(resolve));
    try {
      return await task();
    } finally {
      const next = this.#waiters.shift();
      if (next === undefined) this.#running--;
      else next();
    }
  }
}
