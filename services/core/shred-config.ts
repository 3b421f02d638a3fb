import { readFileSync } from 'node:fs';

/**
 * Crypto-shredding settings (docs/privacy-shred.md), read by core/config.ts with the rest of the
 * configuration.
 */
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

interface SettingsReader {
  readonly problems: string[];
  optional(name: string): string | undefined;
  oneOf<T extends string>(name: string, def: T, allowed: readonly T[]): T;
}

const MIN_SECRET = 32;

function readSecret(r: SettingsReader): string | undefined {
  const inline = r.optional('SHRED_SECRET');
  const file = r.optional('SHRED_SECRET_FILE');
  if (file === undefined) return inline;
  if (inline !== undefined) r.problems.push('SHRED_SECRET and SHRED_SECRET_FILE: set one, not both');
  try {
    return readFileSync(file, 'utf8').replace(/\r?\n$/, '');
  } catch (e) {
    r.problems.push(`SHRED_SECRET_FILE=${JSON.stringify(file)}: cannot be read (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
    return undefined;
  }
}

export function readShredSettings(r: SettingsReader): ShredSettings {
  const erasureMode = r.oneOf('ERASURE_MODE', 'plain', ['plain', 'shred'] as const);
  const secret = readSecret(r);
  const retired = (r.optional('SHRED_RETIRED_SECRETS') ?? '').split(',').filter((s) => s.length > 0);
  if (erasureMode === 'shred' && secret === undefined) r.problems.push('ERASURE_MODE=shred needs SHRED_SECRET (or SHRED_SECRET_FILE)');
  if (secret === undefined && retired.length > 0) r.problems.push('SHRED_RETIRED_SECRETS needs SHRED_SECRET (the current one)');
  const secrets = secret === undefined ? [] : [secret, ...retired];
  if (secrets.some((s) => s.length < MIN_SECRET)) r.problems.push(`SHRED_SECRET / SHRED_RETIRED_SECRETS: each must be at least ${MIN_SECRET} characters`);
  return { erasureMode, shredSecrets: secrets };
}
