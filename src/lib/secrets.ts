/**
 * Channel credentials at rest: AES-256-GCM under a key derived from
 * PARLEY_SECRET (or a secret generated once into the data directory).
 * Ciphertext format: `v1:<iv>:<tag>:<data>` (base64url).
 */
import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import type { Store } from '../store/db.js';

export class SecretBox {
  private readonly key: Buffer;
  private readonly root: Buffer;
  constructor(secret: string) {
    this.key = createHash('sha256').update(`parley-credentials:${secret}`).digest();
    this.root = createHash('sha256').update(`parley-keys:${secret}`).digest();
  }

  /**
   * A key for one purpose (e.g. `email-ref`, `email-participant`), derived from the instance
   * secret: the same in every process that shares it, never stored. An arrow function, so it can
   * be handed on as it is.
   */
  readonly deriveKey = (purpose: string): Buffer => createHmac('sha256', this.root).update(purpose).digest();

  seal(value: unknown): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const data = Buffer.concat([cipher.update(JSON.stringify(value), 'utf8'), cipher.final()]);
    return `v1:${iv.toString('base64url')}:${cipher.getAuthTag().toString('base64url')}:${data.toString('base64url')}`;
  }

  open<T = Record<string, unknown>>(sealed: string): T {
    const [v, iv, tag, data] = sealed.split(':');
    if (v !== 'v1' || !iv || !tag || data === undefined) throw new Error('credentials are not in a known format');
    const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64url'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    const plain = Buffer.concat([decipher.update(Buffer.from(data, 'base64url')), decipher.final()]).toString('utf8');
    return JSON.parse(plain) as T;
  }
}

/** PARLEY_SECRET, or a random secret kept in <dataDir>/secret (created once, mode 0600). */
export function resolveSecret(configured: string | undefined, dataDir: string): string {
  if (configured) return configured;
  const file = join(dataDir, 'secret');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(dataDir, { recursive: true });
  const s = randomBytes(32).toString('base64url');
  writeFileSync(file, s + '\n', { mode: 0o600 });
  chmodSync(file, 0o600);
  return s;
}

const CHECK_KEY = 'secret.check';

/** The secret does not open what this database holds: another process or an earlier start used another. */
export class SecretMismatchError extends Error {
  constructor() {
    super('the channel credentials in this database were sealed with another secret: give every Parley process the same PARLEY_SECRET (each one otherwise generates its own into its data directory), or start with the data directory that holds the original `secret` file');
    this.name = 'SecretMismatchError';
  }
}

/**
 * Check at start that this process's secret is the database's: a sealed marker is written by
 * the first process and must open with every later one. Without it, processes sharing one
 * PostgreSQL with their own generated secrets could not read each other's credentials (sends
 * stuck until another process took them; an edit resealing an account without the rest).
 */
export async function verifySecret(store: Store, box: SecretBox, now: number): Promise<void> {
  const read = async () => (await store.db.selectFrom('kv').select('value').where('key', '=', CHECK_KEY).executeTakeFirst())?.value;
  let sealed = await read();
  if (sealed === undefined) {
    // first start with the check (or after an upgrade): credentials already stored must open too
    const stored = await store.db.selectFrom('channel_account').select('credentials').where('credentials', 'is not', null).limit(1).executeTakeFirst();
    if (stored?.credentials) {
      try {
        box.open(stored.credentials);
      } catch {
        throw new SecretMismatchError();
      }
    }
    await store.db.insertInto('kv').values({ key: CHECK_KEY, value: box.seal({ parley: 'secret-check' }), updated_at: now }).onConflict((oc) => oc.column('key').doNothing()).execute();
    sealed = await read();
  }
  try {
    box.open(sealed ?? '');
  } catch {
    throw new SecretMismatchError();
  }
}
