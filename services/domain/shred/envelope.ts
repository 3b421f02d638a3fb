import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import { InterestStreamError } from '../errors.js';

/**
 * The envelope of a shredded interaction (ERASURE_MODE=shred, docs/privacy-shred.md): the whole
 * encoded event (Avro, either framing) sealed with AES-256-GCM under its user's data key.
 *
 *   offset  bytes  field
 *        0      4  magic "ISE" + format version 0x01 (never an Avro single-object 0xC3 0x01 or Confluent 0x00 start)
 *        4      8  key id: which of the user's keys sealed it
 *       12     32  pseudonym: HMAC-SHA256(SHRED_SECRET, userId), the user's name in the key store
 *       44     12  IV, random per event
 *       56     16  GCM authentication tag
 *       72    ...  ciphertext
 *
 * Bytes 0..43 are the GCM additional data: a changed key id or pseudonym fails authentication as
 * surely as a changed ciphertext. Nothing but the pseudonym (which the Kafka key carries anyway)
 * and the length is readable without the key.
 */

const MAGIC = Buffer.from([0x49, 0x53, 0x45, 0x01]);
const KEY_ID_BYTES = 8;
const PSEUDONYM_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const AAD_END = MAGIC.length + KEY_ID_BYTES + PSEUDONYM_BYTES;
export const ENVELOPE_HEADER_BYTES = AAD_END + IV_BYTES + TAG_BYTES;

/** A user's data key: 32 random bytes and the id the envelopes name it by. */
export interface UserKey {
  /** 16 hex digits. */
  readonly keyId: string;
  readonly material: Buffer;
}

/** What can be read of an envelope without its key. */
export interface Envelope {
  readonly keyId: string;
  /** 64 hex digits. */
  readonly pseudonym: string;
  readonly aad: Buffer;
  readonly iv: Buffer;
  readonly tag: Buffer;
  readonly ciphertext: Buffer;
}

/** A fresh random data key. */
export function newUserKey(): UserKey {
  return { keyId: randomBytes(KEY_ID_BYTES).toString('hex'), material: randomBytes(32) };
}

/**
 * The user's pseudonym under a deployment secret: the Kafka message key of their events (so a user
 * keeps one partition) and their name in the key store. Without the secret it does not reveal the
 * user id; with it, one can only test a guessed id.
 */
export function pseudonymOf(secret: string, userId: string): string {
  return createHmac('sha256', secret).update(userId, 'utf8').digest('hex');
}

/**
 * The key-store name of the key that seals one ERASE event (not the user's pseudonym: an erasure
 * deletes the user's keys at once, while the ERASE must stay readable until ingest has folded it).
 * Keyed like pseudonyms, with a separator no user id contains.
 */
export function eraseKeyName(secret: string, eventId: string): string {
  return createHmac('sha256', secret).update(`\u0000erase\u0000${eventId}`, 'utf8').digest('hex');
}

/** True when the bytes start like an envelope (whatever their validity). */
export function isEnvelope(value: Buffer): boolean {
  return value.length >= MAGIC.length && value.subarray(0, MAGIC.length).equals(MAGIC);
}

function invalid(message: string, field: string): InterestStreamError {
  return new InterestStreamError('INVALID_ENVELOPE', `shredded event envelope: ${message}`, { details: { field } });
}

/** Seals `plain` (an encoded event) for the user named by `pseudonym`. */
export function seal(plain: Buffer, key: UserKey, pseudonym: string): Buffer {
  const keyId = Buffer.from(key.keyId, 'hex');
  const name = Buffer.from(pseudonym, 'hex');
  if (keyId.length !== KEY_ID_BYTES || name.length !== PSEUDONYM_BYTES) throw new InterestStreamError('INTERNAL', 'seal: key id or pseudonym has the wrong length');
  const aad = Buffer.concat([MAGIC, keyId, name]);
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key.material, iv);
  cipher.setAAD(aad);
  const ciphertext = Buffer.concat([cipher.update(plain), cipher.final()]);
  return Buffer.concat([aad, iv, cipher.getAuthTag(), ciphertext]);
}

/** The readable part of an envelope; INVALID_ENVELOPE naming what is wrong with its framing. */
export function parseEnvelope(value: Buffer): Envelope {
  if (!isEnvelope(value)) throw invalid('does not start with the envelope magic "ISE\\x01"', 'magic');
  if (value.length <= ENVELOPE_HEADER_BYTES) {
    throw invalid(`is ${value.length} bytes, not more than its ${ENVELOPE_HEADER_BYTES}-byte header (truncated)`, 'length');
  }
  return {
    keyId: value.subarray(MAGIC.length, MAGIC.length + KEY_ID_BYTES).toString('hex'),
    pseudonym: value.subarray(MAGIC.length + KEY_ID_BYTES, AAD_END).toString('hex'),
    aad: value.subarray(0, AAD_END),
    iv: value.subarray(AAD_END, AAD_END + IV_BYTES),
    tag: value.subarray(AAD_END + IV_BYTES, ENVELOPE_HEADER_BYTES),
    ciphertext: value.subarray(ENVELOPE_HEADER_BYTES),
  };
}

/**
 * The plaintext of an envelope under its key. A failed authentication is INVALID_ENVELOPE (the
 * ciphertext, IV, tag or header was altered, or the key is not the one its id names): never a
 * partial plaintext.
 */
export function openEnvelope(envelope: Envelope, key: UserKey): Buffer {
  if (key.keyId !== envelope.keyId) throw new InterestStreamError('INTERNAL', `open: key ${key.keyId} given for an envelope sealed with ${envelope.keyId}`);
  try {
    const decipher = createDecipheriv('aes-256-gcm', key.material, envelope.iv);
    decipher.setAAD(envelope.aad);
    decipher.setAuthTag(envelope.tag);
    return Buffer.concat([decipher.update(envelope.ciphertext), decipher.final()]);
  } catch {
    throw invalid('authentication failed: its ciphertext, IV, tag or header (key id, pseudonym) was altered', 'tag');
  }
}

/** Seals a short text (a dead letter's reason) the same way, for a header. */
export function sealText(text: string, key: UserKey, pseudonym: string): Buffer {
  return seal(Buffer.from(text, 'utf8'), key, pseudonym);
}
