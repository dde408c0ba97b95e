/**
 * Token issuance and verification per second, ours beside the physical limit (bare `node:crypto`
 * sign / verify of the same signing input) and beside the common Node JWT libraries.
 *
 *   npm run -w @realchat/bench tokens            (BENCH_MS: measured ms per contender, default 2000)
 */
import { constants, createPublicKey, generateKeyPairSync, hash, publicDecrypt, randomBytes, sign, verify, type KeyObject } from 'node:crypto';
import { createVerifier as createFastJwtVerifier } from 'fast-jwt';
import { jwtVerify } from 'jose';
import jsonwebtoken from 'jsonwebtoken';
import { systemClock } from '@realchat/clock';
import type { AuthSettings, SigningAlg } from '@realchat/auth';
import { createRevocationList, createVerifier, type JsonWebKey } from '@realchat/auth-verify';
import type { Database } from '@realchat/db';
import { silentLogger } from '@realchat/logging';
import { KeyEncryption } from '../../services/auth/src/crypto/key-encryption.js';
import { KeyService } from '../../services/auth/src/services/key.service.js';
import { TokenService } from '../../services/auth/src/services/token.service.js';
import { compare, printEnvironment, printTable, reproduce, writeResult, type Row, type Subject } from './lib/report.js';

const COMMAND = 'npm run -w @realchat/bench tokens';
const ISSUER = 'https://auth.realchat.bench';
const AUDIENCE = 'realchat';
const ALGS: readonly SigningAlg[] = ['RS256', 'ES256', 'EdDSA'];
/** Distinct tokens cycled through by the uncached runs, so no library can profit from a cache. */
const POOL = 512;
const DURATION_MS = Number(process.env['BENCH_MS'] ?? 2000);
const MEASURE = { durationMs: DURATION_MS } as const;

// A KeyService with a static PEM (AUTH_SIGNING_KEY_PEM) never queries its database.
const unusedDatabase: Database = {
  kind: 'pglite',
  query: () => Promise.reject(new Error('not used with a static signing key')),
  transaction: () => Promise.reject(new Error('not used with a static signing key')),
  ping: () => Promise.resolve(),
  close: () => Promise.resolve(),
};

function settingsFor(alg: SigningAlg, signingKeyPem: string): AuthSettings {
  return {
    issuer: ISSUER,
    audience: AUDIENCE,
    signingAlg: alg,
    signingKeyPem,
    accessTokenTtlMs: 900_000,
    refreshTokenTtlMs: 7 * 86_400_000,
    sessionMaxLifetimeMs: 30 * 86_400_000,
    refreshGraceMs: 5_000,
    keyRotationIntervalMs: 30 * 86_400_000,
    keyPublishLeadMs: 600_000,
    keyReloadIntervalMs: 30_000,
    clientReloadIntervalMs: 2_000,
    bcryptCost: 4,
    bcryptConcurrency: 1,
    bcryptNice: 0,
    loginIpLimitPerMinute: 30,
    loginFailureLimit: 5,
    loginAccountFailureLimit: 20,
    loginDeviceFailureLimit: 10,
    registerIpLimitPerMinute: 30,
    bootstrapAdminEmail: undefined,
    cookieSecure: true,
  };
}

function generate(alg: SigningAlg): KeyObject {
  if (alg === 'RS256') return generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  if (alg === 'ES256') return generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
  return generateKeyPairSync('ed25519').privateKey;
}

/** What `crypto.sign` / `crypto.verify` take for each JWS algorithm (ES256 signatures are raw r||s). */
function digestOf(alg: SigningAlg): 'sha256' | null {
  return alg === 'EdDSA' ? null : 'sha256';
}
function withEncoding<K extends KeyObject>(alg: SigningAlg, key: K): K | { key: K; dsaEncoding: 'ieee-p1363' } {
  return alg === 'ES256' ? { key, dsaEncoding: 'ieee-p1363' } : key;
}

interface AlgSetup {
  readonly alg: SigningAlg;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  readonly publicPem: string;
  readonly jwk: JsonWebKey;
  readonly tokens: TokenService;
}

async function setUp(alg: SigningAlg): Promise<AlgSetup> {
  const privateKey = generate(alg);
  const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
  const settings = settingsFor(alg, pem);
  const keys = new KeyService({ db: unusedDatabase, encryption: new KeyEncryption(randomBytes(32)), settings, clock: systemClock, logger: silentLogger });
  await keys.init();
  const jwk = keys.jwks().keys[0]!;
  const publicKey = createPublicKey(privateKey);
  return {
    alg,
    privateKey,
    publicKey,
    publicPem: publicKey.export({ format: 'pem', type: 'spki' }).toString(),
    jwk,
    tokens: new TokenService({ keys, settings, clock: systemClock }),
  };
}

function userSubject(i: number): { userId: string; sessionId: string; roles: ['STUDENT'] } {
  const hex = i.toString(16).padStart(12, '0');
  return { userId: `00000000-0000-4000-8000-${hex}`, sessionId: `11111111-1111-4111-8111-${hex}`, roles: ['STUDENT'] };
}
// Built beforehand, so that making them is not timed as part of issuance.
const SUBJECTS = Array.from({ length: 1024 }, (_, i) => userSubject(i));

function ratioRows(results: Map<string, { opsPerSec: number }>, reference: string, names: readonly string[]): Row[] {
  const ref = results.get(reference)!.opsPerSec;
  return names.map((name) => {
    const value = results.get(name)!.opsPerSec;
    return { name, value, unit: 'ops/s', ratio: value / ref };
  });
}

async function issuance(setup: AlgSetup): Promise<Row[]> {
  const { alg, privateKey, tokens } = setup;
  // The limit: crypto.sign alone over a signing input of the same size as ours.
  const sample = tokens.issueUserToken(userSubject(0)).token;
  const input = Buffer.from(sample.slice(0, sample.lastIndexOf('.')));
  const digest = digestOf(alg);
  const signKey = withEncoding(alg, privateKey);
  let i = 0;
  const subjects: Subject[] = [
    { name: `bare node:crypto sign ${alg}`, run: () => sign(digest, input, signKey) },
    { name: `ours TokenService ${alg}`, run: () => tokens.issueUserToken(SUBJECTS[i++ & 1023]!) },
  ];
  const results = await compare(subjects, MEASURE);
  return ratioRows(results, subjects[0]!.name, subjects.map((s) => s.name));
}

async function verification(setup: AlgSetup): Promise<Row[]> {
  const { alg, publicKey, publicPem, jwk, tokens } = setup;
  const pool = Array.from({ length: POOL }, (_, i) => tokens.issueUserToken(userSubject(i)).token);
  const hot = pool[0]!;
  const mask = POOL - 1;
  const digest = digestOf(alg);
  const verifyKey = withEncoding(alg, publicKey);
  // The limit gets its inputs pre-split and pre-decoded: only crypto.verify is timed.
  const inputs = pool.map((t) => {
    const dot = t.lastIndexOf('.');
    return { data: Buffer.from(t.slice(0, dot)), signature: Buffer.from(t.slice(dot + 1), 'base64url') };
  });

  // A few revoked sessions, so the revocation lookup is a real one.
  const revocations = createRevocationList();
  for (let r = 0; r < 100; r++) revocations.revoke(`22222222-2222-4222-8222-${r.toString(16).padStart(12, '0')}`, new Date(Date.now() + 900_000));
  const keys = { keys: [jwk] };
  const uncached = createVerifier({ issuer: ISSUER, audience: AUDIENCE, keys, revocations, cache: false });
  const cached = createVerifier({ issuer: ISSUER, audience: AUDIENCE, keys, revocations });
  const fastJwt = createFastJwtVerifier({ key: publicPem, algorithms: [alg], allowedIss: ISSUER, allowedAud: AUDIENCE });
  const fastJwtCached = createFastJwtVerifier({ key: publicPem, algorithms: [alg], allowedIss: ISSUER, allowedAud: AUDIENCE, cache: true });
  const joseOptions = { issuer: ISSUER, audience: AUDIENCE, algorithms: [alg], typ: 'at+jwt' };

  // Every contender must accept the tokens before its speed means anything.
  await uncached.verify(hot);
  await jwtVerify(hot, publicKey, joseOptions);
  fastJwt(hot);
  if (!verify(digest, inputs[0]!.data, verifyKey, inputs[0]!.signature)) throw new Error('bare verify refused the token');

  let i = 0;
  const bare = `bare node:crypto verify ${alg}`;
  const subjects: Subject[] = [
    {
      name: bare,
      run: () => {
        const input = inputs[i++ & mask]!;
        return verify(digest, input.data, verifyKey, input.signature);
      },
    },
    { name: `ours uncached ${alg}`, run: () => uncached.verify(pool[i++ & mask]!), async: true },
    { name: `fast-jwt ${alg}`, run: () => fastJwt(pool[i++ & mask]!) },
    { name: `jose jwtVerify ${alg}`, run: () => jwtVerify(pool[i++ & mask]!, publicKey, joseOptions), async: true },
  ];
  // jsonwebtoken 9 has no EdDSA.
  if (alg !== 'EdDSA') {
    const jwtOptions: jsonwebtoken.VerifyOptions = { issuer: ISSUER, audience: AUDIENCE, algorithms: [alg] };
    jsonwebtoken.verify(hot, publicKey, jwtOptions);
    subjects.push({ name: `jsonwebtoken ${alg}`, run: () => jsonwebtoken.verify(pool[i++ & mask]!, publicKey, jwtOptions) });
  }
  if (alg === 'RS256') {
    // Ours checks RS256 by encode-and-compare (RSA public operation, then SHA-256): the floor of
    // that method, printed so the ratio to crypto.verify is read against it too.
    const raw = { key: publicKey, padding: constants.RSA_NO_PADDING };
    const hashAt = Math.ceil((publicKey.asymmetricKeyDetails?.modulusLength ?? 2048) / 8) - 32;
    const floor = (input: { data: Buffer; signature: Buffer }): boolean =>
      publicDecrypt(raw, input.signature).toString('hex', hashAt) === hash('sha256', input.data, 'hex');
    if (!floor(inputs[0]!)) throw new Error('the RSA public operation did not recover the signed hash');
    subjects.push({ name: `bare node:crypto RSA public op + SHA-256`, run: () => floor(inputs[i++ & mask]!) });
    // How tutorials call it: the PEM string, parsed again on every call.
    const jwtOptions: jsonwebtoken.VerifyOptions = { issuer: ISSUER, audience: AUDIENCE, algorithms: [alg] };
    subjects.push({ name: `jsonwebtoken ${alg}, PEM string`, run: () => jsonwebtoken.verify(pool[i++ & mask]!, publicPem, jwtOptions) });
  }
  const hotSubjects: Subject[] =
    alg === 'RS256'
      ? [
          { name: `ours cached ${alg} (hot token)`, run: () => cached.verify(hot), async: true },
          { name: `fast-jwt cached ${alg} (hot token)`, run: () => fastJwtCached(hot) },
        ]
      : [];
  const results = await compare([...subjects, ...hotSubjects], MEASURE);
  uncached.close();
  cached.close();
  return ratioRows(results, bare, [...subjects, ...hotSubjects].map((s) => s.name));
}

async function main(): Promise<void> {
  printEnvironment();
  console.log(`tokens: contenders take turns in 50 ms slices (random order), ${DURATION_MS} ms each; median slice rate`);
  const setups: AlgSetup[] = [];
  for (const alg of ALGS) setups.push(await setUp(alg));

  const issued: Row[] = [];
  for (const setup of setups) issued.push(...(await issuance(setup)));
  printTable('Issuance (ratio to bare node:crypto sign of the same algorithm)', issued);

  const verified: Row[] = [];
  for (const setup of setups) verified.push(...(await verification(setup)));
  printTable('Verification (ratio to bare node:crypto verify of the same algorithm)', verified);

  reproduce(COMMAND);
  writeResult('tokens', { command: COMMAND, durationMs: DURATION_MS, issuance: issued, verification: verified });
}

await main();
