/**
 * The API key entries of API_KEYS and API_KEYS_FILE. An entry is
 *
 *   <id>:<scope>:<secret>          e.g. `billing:read:3f9c…`
 *   <id>:<scope>:sha256:<64 hex>   the same key given as the SHA-256 digest of its secret
 *   <secret>                       a bare key (the format before scopes): scope `erase`, id `key-<8 hex of its digest>`
 *
 * The id names the key in logs and metrics (the secret never appears there); the scope is `read`
 * (recommendations, interest, history, similar items) or `erase` (read plus erasure). Several
 * entries may be valid at once, which is how a key is rotated without downtime.
 */
import { createHash } from 'node:crypto';

export const API_SCOPES = ['read', 'erase'] as const;
export type ApiScope = (typeof API_SCOPES)[number];

export interface ApiKeySpec {
  /** Names the key in logs and metrics; never the secret. */
  readonly id: string;
  readonly scope: ApiScope;
  /** SHA-256 of the secret, lowercase hex: the only form in which the key is kept. */
  readonly digest: string;
}

const ID = /^[A-Za-z0-9_.-]{1,64}$/;
const DIGEST = /^sha256:([0-9a-fA-F]{64})$/;

/** SHA-256 of a presented key, lowercase hex. */
export function keyDigest(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/** True when `scope` allows what `needed` asks for (`erase` includes `read`). */
export function scopeAllows(scope: ApiScope, needed: ApiScope): boolean {
  return scope === 'erase' || needed === 'read';
}

/** Parses one entry; throws an Error whose message says what is wrong without echoing the secret. */
export function parseApiKeyEntry(entry: string): ApiKeySpec {
  const first = entry.indexOf(':');
  if (first < 0) {
    const digest = keyDigest(entry);
    return { id: `key-${digest.slice(0, 8)}`, scope: 'erase', digest };
  }
  const second = entry.indexOf(':', first + 1);
  const id = entry.slice(0, first);
  const scope = second < 0 ? '' : entry.slice(first + 1, second);
  const secret = second < 0 ? '' : entry.slice(second + 1);
  if (!ID.test(id)) throw new Error(`key id ${JSON.stringify(id)} must be 1-64 letters, digits, '.', '_' or '-'`);
  if (!(API_SCOPES as readonly string[]).includes(scope)) throw new Error(`key "${id}": scope must be read or erase (entries are <id>:<scope>:<secret>)`);
  if (secret === '') throw new Error(`key "${id}": the secret is empty`);
  const hashed = DIGEST.exec(secret);
  if (secret.startsWith('sha256:') && hashed === null) throw new Error(`key "${id}": sha256: must be followed by 64 hex digits`);
  return { id, scope: scope as ApiScope, digest: hashed ? hashed[1]!.toLowerCase() : keyDigest(secret) };
}

/**
 * Parses entries (API_KEYS split on commas, API_KEYS_FILE on lines; blank lines and `#` comments
 * skipped) and lists every problem, including an id used twice.
 */
export function parseApiKeys(entries: readonly string[]): { keys: ApiKeySpec[]; problems: string[] } {
  const keys: ApiKeySpec[] = [];
  const problems: string[] = [];
  for (const raw of entries) {
    const entry = raw.trim();
    if (entry === '' || entry.startsWith('#')) continue;
    try {
      const key = parseApiKeyEntry(entry);
      if (keys.some((k) => k.id === key.id)) problems.push(`key id "${key.id}" is used twice`);
      else keys.push(key);
    } catch (e) {
      problems.push((e as Error).message);
    }
  }
  return { keys, problems };
}
