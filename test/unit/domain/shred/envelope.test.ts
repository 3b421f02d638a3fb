import { describe, expect, it } from 'vitest';
import { encodeInteraction, decodeInteraction } from '../../../../services/core/events.js';
import { InterestStreamError } from '../../../../services/domain/errors.js';
import { ENVELOPE_HEADER_BYTES, eraseKeyName, newUserKey, openEnvelope, parseEnvelope, pseudonymOf, seal } from '../../../../services/domain/shred/envelope.js';
import { EventOpener, EventSealer, SEALED_REASON_HEADER, forgetUserKeys } from '../../../../services/domain/shred/shredding.js';
import { InMemoryUserKeyStore } from '../../../../services/domain/shred/user-keys.js';
import type { InteractionEvent } from '../../../../services/domain/types.js';

const SECRET = 'a-deployment-secret-of-32-chars!!';
const view: InteractionEvent = { eventId: 'e-1', userId: 'alice', itemId: 'film-42', type: 'VIEW', occurredAt: 1_700_000_000_000, weight: 1 };

function thrown(f: () => unknown): InterestStreamError {
  try {
    f();
  } catch (e) {
    return e as InterestStreamError;
  }
  throw new Error('did not throw');
}

describe('envelope', () => {
  const key = newUserKey();
  const name = pseudonymOf(SECRET, 'alice');
  const sealed = seal(encodeInteraction(view), key, name);

  it('round-trips an event and shows neither the user id nor the item id', () => {
    expect(decodeInteraction(openEnvelope(parseEnvelope(sealed), key))).toEqual(view);
    expect(sealed.includes('alice')).toBe(false);
    expect(sealed.includes('film-42')).toBe(false);
    expect(parseEnvelope(sealed)).toMatchObject({ keyId: key.keyId, pseudonym: name });
  });

  it('pseudonyms are a keyed HMAC: stable per user and secret, different under another secret', () => {
    expect(pseudonymOf(SECRET, 'alice')).toBe(name);
    expect(name).toMatch(/^[0-9a-f]{64}$/);
    expect(pseudonymOf(`${SECRET}x`, 'alice')).not.toBe(name);
    expect(pseudonymOf(SECRET, 'bob')).not.toBe(name);
  });

  it('IVs are random: the same event seals to different bytes', () => {
    expect(seal(encodeInteraction(view), key, name).equals(sealed)).toBe(false);
  });

  it.each([
    ['ciphertext', sealed.length - 1],
    ['tag', ENVELOPE_HEADER_BYTES - 1],
    ['IV', 50],
    ['pseudonym (authenticated header)', 20],
  ])('a flipped byte of the %s fails authentication, naming it', (_part, at) => {
    const tampered = Buffer.from(sealed);
    tampered[at] = tampered[at]! ^ 0x01;
    const e = thrown(() => openEnvelope(parseEnvelope(tampered), { ...key, keyId: parseEnvelope(tampered).keyId }));
    expect(e.code).toBe('INVALID_ENVELOPE');
    expect(e.message).toBe('shredded event envelope: authentication failed: its ciphertext, IV, tag or header (key id, pseudonym) was altered');
  });

  it('a truncated envelope is INVALID_ENVELOPE naming its length', () => {
    const e = thrown(() => parseEnvelope(sealed.subarray(0, 40)));
    expect(e.code).toBe('INVALID_ENVELOPE');
    expect(e.message).toBe(`shredded event envelope: is 40 bytes, not more than its ${ENVELOPE_HEADER_BYTES}-byte header (truncated)`);
    expect(e.details.field).toBe('length');
  });
});

describe('sealing and opening through the key store', () => {
  it('opens what the sealer sealed; after forgetUserKeys the user is skipped, others still open', async () => {
    const keys = new InMemoryUserKeyStore();
    const sealer = new EventSealer(keys, SECRET);
    const bob = { ...view, eventId: 'e-2', userId: 'bob' };
    const messages = await sealer.seal([view, bob].map((e) => ({ userId: e.userId, value: encodeInteraction(e) })));
    expect(messages.map((m) => m.key)).toEqual([pseudonymOf(SECRET, 'alice'), pseudonymOf(SECRET, 'bob')]);
    const opener = new EventOpener(keys);
    const before = await opener.prepare(messages.map((m) => m.value));
    expect(messages.map((m) => decodeInteraction(before.plain(m.value)!))).toEqual([view, bob]);

    await forgetUserKeys(keys, [SECRET], 'alice');
    const after = await opener.prepare(messages.map((m) => m.value));
    expect(after.plain(messages[0]!.value)).toBeUndefined();
    expect(decodeInteraction(after.plain(messages[1]!.value)!)).toEqual(bob);
  });

  it('an ERASE shreds what came before it at once, stays readable until forgetErases, and what follows gets a fresh key', async () => {
    const keys = new InMemoryUserKeyStore();
    const sealer = new EventSealer(keys, SECRET);
    const ev = (eventId: string, type: 'VIEW' | 'ERASE' = 'VIEW'): InteractionEvent => ({ ...view, eventId, type, itemId: type === 'ERASE' ? '' : view.itemId });
    const [earlier] = await sealer.seal([{ userId: 'alice', value: encodeInteraction(ev('v0')) }]);
    const [before, erase, after] = await sealer.seal([
      { userId: 'alice', value: encodeInteraction(ev('v1')) },
      { userId: 'alice', value: encodeInteraction(ev('x1', 'ERASE')), eraseId: 'x1' },
      { userId: 'alice', value: encodeInteraction(ev('v2')) },
    ]);
    expect([earlier, before, erase, after].map((m) => m!.key)).toEqual(Array(4).fill(pseudonymOf(SECRET, 'alice')));
    expect([before, erase].map((m) => parseEnvelope(m!.value).pseudonym)).toEqual([eraseKeyName(SECRET, 'x1'), eraseKeyName(SECRET, 'x1')]);
    const opener = new EventOpener(keys);
    const ids = async (): Promise<Array<string | undefined>> => {
      const opened = await opener.prepare([earlier, before, erase, after].map((m) => m!.value));
      return [earlier, before, erase, after].map((m) => {
        const plain = opened.plain(m!.value);
        return plain && decodeInteraction(plain).eventId;
      });
    };
    expect(await ids()).toEqual([undefined, 'v1', 'x1', 'v2']);
    await opener.forgetErases([(await opener.prepare([erase!.value])).sealedUnder(erase!.value)!]);
    expect(await ids()).toEqual([undefined, undefined, undefined, 'v2']);
  });

  it('forgetUserKeys also deletes keys made under a retired secret', async () => {
    const keys = new InMemoryUserKeyStore();
    const old = 'an-older-secret-of-32-characters!!';
    const [m] = await new EventSealer(keys, old).seal([{ userId: 'alice', value: encodeInteraction(view) }]);
    await forgetUserKeys(keys, [SECRET, old], 'alice');
    expect((await new EventOpener(keys).prepare([m!.value])).plain(m!.value)).toBeUndefined();
  });

  it('an envelope naming a key id the store does not hold (a wrong key) is skipped, not an error', async () => {
    const keys = new InMemoryUserKeyStore();
    const name = pseudonymOf(SECRET, 'alice');
    await keys.createIfAbsent(new Map([[name, newUserKey()]]));
    const foreign = seal(encodeInteraction(view), newUserKey(), name);
    expect((await new EventOpener(keys).prepare([foreign])).plain(foreign)).toBeUndefined();
  });

  it('keeps one key per user across calls and passes plain events through untouched', async () => {
    const keys = new InMemoryUserKeyStore();
    const sealer = new EventSealer(keys, SECRET);
    const [a, b] = await Promise.all([1, 2].map(() => sealer.seal([{ userId: 'alice', value: encodeInteraction(view) }])));
    expect(parseEnvelope(a![0]!.value).keyId).toBe(parseEnvelope(b![0]!.value).keyId);
    const plain = encodeInteraction(view);
    expect((await new EventOpener(keys).prepare([plain])).plain(plain)).toBe(plain);
  });

  it("a sealed event's dead letter seals its reason; a plain event's keeps it", async () => {
    const keys = new InMemoryUserKeyStore();
    const [m] = await new EventSealer(keys, SECRET).seal([{ userId: 'alice', value: encodeInteraction(view) }]);
    const opened = await new EventOpener(keys).prepare([m!.value]);
    const reason = new InterestStreamError('UNKNOWN_ITEM', 'item "film-42" is not in the catalogue', { details: { itemId: 'film-42' } });
    const letter = opened.letter(m!.value, { traceparent: 't' }, reason);
    expect(letter.error.code).toBe('UNKNOWN_ITEM');
    expect(letter.error.message).toBe(`UNKNOWN_ITEM: the reason is sealed with the user's key in ${SEALED_REASON_HEADER}`);
    expect(letter.error.details).toEqual({});
    const sealedReason = letter.headers![SEALED_REASON_HEADER] as Buffer;
    expect(sealedReason.includes('film-42')).toBe(false);
    const key = (await keys.find([{ pseudonym: m!.key, keyId: parseEnvelope(m!.value).keyId }])).values().next().value!;
    expect(openEnvelope(parseEnvelope(sealedReason), key).toString()).toBe('item "film-42" is not in the catalogue');
    const plain = encodeInteraction(view);
    expect(opened.letter(plain, undefined, reason)).toEqual({ headers: undefined, error: reason });
  });
});
