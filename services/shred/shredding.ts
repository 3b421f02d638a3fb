import type { IHeaders } from 'kafkajs';
import { InterestStreamError } from '../core/errors.js';
import { isEnvelope, newUserKey, openEnvelope, parseEnvelope, pseudonymOf, seal, sealText, type Envelope, type UserKey } from './envelope.js';
import { keyRef, type UserKeyStore } from './user-keys.js';

/** The header of a shredded event's dead letter that holds its reason, sealed with the user's key. */
export const SEALED_REASON_HEADER = 'x-error-sealed';

/** One event as a publisher sends it once sealed: the pseudonym as Kafka key, the envelope as value. */
export interface SealedMessage {
  readonly key: string;
  readonly value: Buffer;
}

/**
 * The publishers' side (ERASURE_MODE=shred): seals each encoded event with its user's current data
 * key, creating the key on a user's first event (UserKeyStore.createIfAbsent). No key is cached
 * between calls, so an erasure takes effect on the next publish.
 */
export class EventSealer {
  constructor(
    private readonly keys: UserKeyStore,
    private readonly secret: string,
  ) {}

  async seal(events: ReadonlyArray<{ readonly userId: string; readonly value: Buffer }>): Promise<SealedMessage[]> {
    const names = events.map((e) => pseudonymOf(this.secret, e.userId));
    const distinct = [...new Set(names)];
    const keys = await this.keys.current(distinct);
    const missing = distinct.filter((p) => !keys.has(p));
    if (missing.length > 0) for (const [p, k] of await this.keys.createIfAbsent(new Map(missing.map((p) => [p, newUserKey()])))) keys.set(p, k);
    return events.map((e, i) => ({ key: names[i]!, value: seal(e.value, keys.get(names[i]!)!, names[i]!) }));
  }
}

/** What an erasure calls: deletes the user's keys under the current and every retired secret. */
export async function forgetUserKeys(keys: UserKeyStore, secrets: readonly string[], userId: string): Promise<void> {
  for (const secret of secrets) await keys.deleteAll(pseudonymOf(secret, userId));
}

/** The keys one batch of records needs, fetched once (RedisUserKeyStore.find: one Redis round trip). */
export class OpenedBatch {
  constructor(private readonly keys: ReadonlyMap<string, UserKey>) {}

  /**
   * The encoded event inside `value`: the value itself when it is not sealed, its plaintext when
   * its key is held, undefined when the key is gone (the user was erased: skip it). Throws
   * INVALID_ENVELOPE for a malformed or tampered envelope.
   */
  plain(value: Buffer): Buffer | undefined {
    if (!isEnvelope(value)) return value;
    const envelope = parseEnvelope(value);
    const key = this.keyOf(envelope);
    return key === undefined ? undefined : openEnvelope(envelope, key);
  }

  /**
   * Headers and error for the dead letter of `value`: for a sealed event the reason (which may
   * name its user or item) is sealed into SEALED_REASON_HEADER and the readable message keeps only
   * the code, so the DLQ holds nothing that outlives the key.
   */
  letter(value: Buffer | null, headers: IHeaders | undefined, error: InterestStreamError): { headers: IHeaders | undefined; error: InterestStreamError } {
    if (value === null || !isEnvelope(value) || error.code === 'INVALID_ENVELOPE') return { headers, error };
    let envelope: Envelope;
    try {
      envelope = parseEnvelope(value);
    } catch {
      return { headers, error };
    }
    const key = this.keyOf(envelope);
    const sealed = key === undefined ? {} : { [SEALED_REASON_HEADER]: sealText(error.message, key, envelope.pseudonym) };
    const message = `${error.code}: the reason is sealed with the user's key${key === undefined ? ' (now deleted)' : ` in ${SEALED_REASON_HEADER}`}`;
    return { headers: { ...(headers ?? {}), ...sealed }, error: new InterestStreamError(error.code, message) };
  }

  private keyOf(envelope: Envelope): UserKey | undefined {
    return this.keys.get(keyRef(envelope.pseudonym, envelope.keyId));
  }
}

/** The readers' side (ingest, replays, evaluate): fetches the keys of a batch's sealed records. */
export class EventOpener {
  constructor(private readonly keys: UserKeyStore) {}

  async prepare(values: ReadonlyArray<Buffer | null>): Promise<OpenedBatch> {
    const refs = new Map<string, { pseudonym: string; keyId: string }>();
    for (const v of values) {
      if (v === null || !isEnvelope(v)) continue;
      try {
        const e = parseEnvelope(v);
        refs.set(keyRef(e.pseudonym, e.keyId), { pseudonym: e.pseudonym, keyId: e.keyId });
      } catch {
        // Malformed: OpenedBatch.plain reports it when the record is decoded.
      }
    }
    return new OpenedBatch(refs.size === 0 ? new Map() : await this.keys.find([...refs.values()]));
  }
}
