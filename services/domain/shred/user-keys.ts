import type { KeyRef } from '../ports/index.js';
import type { UserKey } from './envelope.js';

/** The name of one key of one pseudonym, as `UserKeyStore.find` returns it. */
export function keyRef(pseudonym: string, keyId: string): string {
  return `${pseudonym}.${keyId}`;
}

/** Looks `refs` up in a per-pseudonym map of keys by id (the archives' shared read). */
export function pickKeys(refs: readonly KeyRef[], held: (pseudonym: string) => ReadonlyMap<string, UserKey> | undefined): Map<string, UserKey> {
  const out = new Map<string, UserKey>();
  for (const r of refs) {
    const k = held(r.pseudonym)?.get(r.keyId);
    if (k) out.set(keyRef(r.pseudonym, r.keyId), k);
  }
  return out;
}
