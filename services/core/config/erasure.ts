import type { Reader } from './reader.js';

/** Crypto-shredding (docs/privacy-shred.md): whether events are sealed, and the secrets that name the keys. */
export interface ShredSettings {
  /**
   * ERASURE_MODE: `plain` (the default: events go to the interactions topic as they are, and an
   * erasure cannot remove them from it) or `shred` (publishers seal each event with its user's data
   * key; an erasure deletes the key). `plain` stays the default because `shred` needs SHRED_SECRET,
   * which an existing deployment does not have. Ingest opens sealed events in either mode.
   */
  readonly erasureMode: 'plain' | 'shred';
  /**
   * SHRED_SECRET (or SHRED_SECRET_FILE, e.g. a mounted secret): at least 32 characters; the HMAC
   * key of user pseudonyms (the Kafka message key of a sealed event, and the user's name in the key
   * store). Required by `shred`; every publisher and query service must have the same one.
   * SHRED_RETIRED_SECRETS (comma-separated): secrets used before a rotation, under which erasures
   * still delete keys. First the current secret, then the retired ones. Never logged.
   */
  readonly shredSecrets: readonly string[];
}

/** Erasures (docs/privacy.md): shredding, and how long an erasure's record can be asked for. */
export interface ErasureSettings extends ShredSettings {
  /** ERASURE_RECORD_TTL_MS: how long `GET /v1/erasures/{id}` can report an erasure (docs/privacy.md). Default 604800000 (7 days). */
  readonly erasureRecordTtlMs: number;
}

const MIN_SECRET = 32;

export function readErasureSettings(r: Reader): ErasureSettings {
  return { ...readShredSettings(r), erasureRecordTtlMs: r.int('ERASURE_RECORD_TTL_MS', 604_800_000, 1000) };
}

function readShredSettings(r: Reader): ShredSettings {
  const erasureMode = r.oneOf('ERASURE_MODE', 'plain', ['plain', 'shred'] as const);
  const secret = r.secret('SHRED_SECRET', 'SHRED_SECRET_FILE');
  const retired = (r.optional('SHRED_RETIRED_SECRETS') ?? '').split(',').filter((s) => s.length > 0);
  if (erasureMode === 'shred' && secret === undefined) r.problems.push('ERASURE_MODE=shred needs SHRED_SECRET (or SHRED_SECRET_FILE)');
  if (secret === undefined && retired.length > 0) r.problems.push('SHRED_RETIRED_SECRETS needs SHRED_SECRET (the current one)');
  const secrets = secret === undefined ? [] : [secret, ...retired];
  if (secrets.some((s) => s.length < MIN_SECRET)) r.problems.push(`SHRED_SECRET / SHRED_RETIRED_SECRETS: each must be at least ${MIN_SECRET} characters`);
  return { erasureMode, shredSecrets: secrets };
}
