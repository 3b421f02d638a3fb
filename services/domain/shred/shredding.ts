import { InterestStreamError } from '../errors.js';
import { eraseKeyName, isEnvelope, newUserKey, openEnvelope, parseEnvelope, pseudonymOf, seal, sealText, type Envelope, type UserKey } from './envelope.js';
import type { MessageHeaders, UserKeyStore } from '../ports/index.js';
import { keyRef } from './user-keys.js';

/** The header of a shredded event's dead letter that holds its reason, sealed with the user's key. */
export const SEALED_REASON_HEADER = 'x-error-sealed';

/** One event as a publisher sends it once sealed: the pseudonym as Kafka key, the envelope as value. */
export interface SealedMessage {
  readonly key: string;
  readonly value: Buffer;
}

/** One encoded event to seal: whose it is, and for an ERASE its event id. */
export interface EventToSeal {
  readonly userId: string;
  readonly value: Buffer;
  /** Set for an ERASE (its event id): it is sealed with a key of its own (eraseKeyName), which ingest deletes once it has folded it. */
  readonly eraseId?: string;
}

/**
 * The publishers' side (ERASURE_MODE=shred): seals each encoded event with a data key and keys it
 * by its user's pseudonym. Normally the key is the user's current one, created on their first event
 * (UserKeyStore.createIfAbsent). An ERASE is sealed with a key of its own (eraseKeyName), and so are
 * the user's events before it in the same request; the user's existing keys are deleted before the
 * request is sent (everything before the ERASE is erased by it), and their events after it get a
 * fresh key. Ingest deletes an ERASE's key once it has folded it. No key is cached between calls: an
 * erasure takes effect on the next publish.
 */
export class EventSealer {
  constructor(
    private readonly keys: UserKeyStore,
    private readonly secret: string,
  ) {}

  async seal(events: readonly EventToSeal[]): Promise<SealedMessage[]> {
    const users = events.map((e) => pseudonymOf(this.secret, e.userId));
    const names = this.keyNames(events, users);
    for (const u of new Set(users.filter((_, i) => events[i]!.eraseId !== undefined))) await this.keys.deleteAll(u);
    const distinct = [...new Set(names)];
    const keys = await this.keys.current(distinct);
    const missing = distinct.filter((p) => !keys.has(p));
    if (missing.length > 0) for (const [p, k] of await this.keys.createIfAbsent(new Map(missing.map((p) => [p, newUserKey()])))) keys.set(p, k);
    return events.map((e, i) => ({ key: users[i]!, value: seal(e.value, keys.get(names[i]!)!, names[i]!) }));
  }

  /** The key name of each event: its user's next ERASE's in this request (itself included), else the user's own. */
  private keyNames(events: readonly EventToSeal[], users: readonly string[]): string[] {
    const names = new Array<string>(events.length);
    const nextErase = new Map<string, string>();
    for (let i = events.length - 1; i >= 0; i--) {
      const eraseId = events[i]!.eraseId;
      if (eraseId !== undefined) nextErase.set(users[i]!, eraseKeyName(this.secret, eraseId));
      names[i] = nextErase.get(users[i]!) ?? users[i]!;
    }
    return names;
  }
}

/** What an erasure calls: deletes the user's keys under the current and every retired secret. */
export async function forgetUserKeys(keys: UserKeyStore, secrets: readonly string[], userId: string): Promise<void> {
  for (const secret of secrets) await keys.deleteAll(pseudonymOf(secret, userId));
}

/** Deletes the key of one ERASE event (ingest does once it has folded it; an erasure lifecycle may too). */
export async function forgetEraseKey(keys: UserKeyStore, secrets: readonly string[], eventId: string): Promise<void> {
  for (const secret of secrets) await keys.deleteAll(eraseKeyName(secret, eventId));
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
  letter(value: Buffer | null, headers: MessageHeaders | undefined, error: InterestStreamError): { headers: MessageHeaders | undefined; error: InterestStreamError } {
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

  /** The key-store name an envelope was sealed under (for an ERASE, its own key's name); undefined for a plain value. */
  sealedUnder(value: Buffer | null): string | undefined {
    if (value === null || !isEnvelope(value)) return undefined;
    try {
      return parseEnvelope(value).pseudonym;
    } catch {
      return undefined;
    }
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

  /**
   * After a batch is folded and written: deletes the keys its sealed ERASE events were sealed
   * with, so those too become unreadable. Their users' own keys went at the erasure.
   */
  async forgetErases(names: readonly string[]): Promise<void> {
    for (const name of new Set(names)) await this.keys.deleteAll(name);
  }
}
