import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Logger } from '@realchat/logging';

export class KeyEncryptionKeyError extends Error {
  readonly code = 'INVALID_CONFIG';
  constructor(message: string) {
    super(message);
    this.name = 'KeyEncryptionKeyError';
  }
}

function decode(text: string, source: string): Buffer {
  const key = Buffer.from(text.trim(), 'base64');
  if (key.length !== 32) throw new KeyEncryptionKeyError(`${source} must be 32 bytes in base64 (got ${key.length} bytes); make one with: openssl rand -base64 32`);
  return key;
}

/**
 * The key-encryption key: from `AUTH_KEY_ENCRYPTION_KEY` (base64), from a file (a mounted secret),
 * or, in embedded mode only, created once under the data folder with mode 0600.
 */
export async function loadKeyEncryptionKey(options: {
  value?: string | undefined;
  file?: string | undefined;
  embeddedDataDir?: string | undefined;
  logger: Logger;
}): Promise<Buffer> {
  if (options.value !== undefined) return decode(options.value, 'AUTH_KEY_ENCRYPTION_KEY');
  if (options.file !== undefined) return decode(await readFile(options.file, 'utf8'), `AUTH_KEY_ENCRYPTION_KEY_FILE (${options.file})`);
  if (options.embeddedDataDir === undefined) {
    throw new KeyEncryptionKeyError('AUTH_KEY_ENCRYPTION_KEY or AUTH_KEY_ENCRYPTION_KEY_FILE is required outside embedded mode');
  }
  const path = join(options.embeddedDataDir, 'keys', 'kek');
  try {
    return decode(await readFile(path, 'utf8'), path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const key = randomBytes(32);
  await writeFile(path, key.toString('base64') + '\n', { mode: 0o600, flag: 'wx' });
  options.logger.warn({ path }, 'created a key-encryption key for embedded mode; set AUTH_KEY_ENCRYPTION_KEY (from a secrets manager) in production');
  return key;
}
