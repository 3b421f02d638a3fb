import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type avsc from 'avsc';
import { describe, expect, it } from 'vitest';
import { AvroCodec, parsingCanonicalForm, schemaFingerprint } from '../../../services/core/avro/codec.js';
import { fingerprintBytes, frameConfluent, parseFrame, rabinFingerprint64 } from '../../../services/core/avro/framing.js';
import { findSchemaDir, loadSchema } from '../../../services/core/avro/schemas.js';
import { InterestStreamError } from '../../../services/domain/errors.js';

// Reference vectors from the Avro project, share/test/data/schema-tests.txt (fingerprints there are
// signed Java longs). 016 (empty union) and 026 (an invalid boolean default) are left out: avsc
// rightly refuses to parse them.
const REFERENCE: ReadonlyArray<{ input: unknown; canonical: string; fingerprint: bigint }> = [
  { input: 'null', canonical: '"null"', fingerprint: 7195948357588979594n },
  { input: { type: 'boolean' }, canonical: '"boolean"', fingerprint: -6970731678124411036n },
  { input: 'int', canonical: '"int"', fingerprint: 8247732601305521295n },
  { input: { type: 'long' }, canonical: '"long"', fingerprint: -3434872931120570953n },
  { input: 'float', canonical: '"float"', fingerprint: 5583340709985441680n },
  { input: 'double', canonical: '"double"', fingerprint: -8181574048448539266n },
  { input: 'bytes', canonical: '"bytes"', fingerprint: 5746618253357095269n },
  { input: 'string', canonical: '"string"', fingerprint: -8142146995180207161n },
  { input: ['int', { type: 'boolean' }], canonical: '["int","boolean"]', fingerprint: 5392556393470105090n },
  { input: { fields: [], type: 'record', name: 'foo', namespace: 'x.y' }, canonical: '{"name":"x.y.foo","type":"record","fields":[]}', fingerprint: 5916914534497305771n },
  { input: { fields: [], type: 'record', name: 'a.b.foo', namespace: 'x.y' }, canonical: '{"name":"a.b.foo","type":"record","fields":[]}', fingerprint: -4616218487480524110n },
  {
    input: { fields: [], type: 'record', name: 'foo', doc: 'foo', aliases: ['foo', 'bar'] },
    canonical: '{"name":"foo","type":"record","fields":[]}',
    fingerprint: -4824392279771201922n,
  },
  {
    input: { fields: [{ type: { type: 'boolean' }, name: 'f1' }], type: 'record', name: 'foo' },
    canonical: '{"name":"foo","type":"record","fields":[{"name":"f1","type":"boolean"}]}',
    fingerprint: 7843277075252814651n,
  },
  {
    input: { namespace: 'x.y.z', type: 'enum', name: 'foo', doc: 'foo bar', symbols: ['A1', 'A2'] },
    canonical: '{"name":"x.y.z.foo","type":"enum","symbols":["A1","A2"]}',
    fingerprint: -4448647247586288245n,
  },
  {
    input: { namespace: 'x.y.z', type: 'fixed', name: 'foo', doc: 'foo bar', size: 32 },
    canonical: '{"name":"x.y.z.foo","type":"fixed","size":32}',
    fingerprint: -3064184465700546786n,
  },
  { input: { items: { type: 'null' }, type: 'array' }, canonical: '{"type":"array","items":"null"}', fingerprint: -589620603366471059n },
  { input: { values: 'string', type: 'map' }, canonical: '{"type":"map","values":"string"}', fingerprint: -8732877298790414990n },
  {
    input: { name: 'PigValue', type: 'record', fields: [{ name: 'value', type: ['null', 'int', 'long', 'PigValue'] }] },
    canonical: '{"name":"PigValue","type":"record","fields":[{"name":"value","type":["null","int","long","PigValue"]}]}',
    fingerprint: -1759257747318642341n,
  },
];

function expectDecodeFailure(f: () => unknown, message: RegExp): void {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(InterestStreamError);
    expect((e as InterestStreamError).code).toBe('DECODE_FAILED');
    expect((e as InterestStreamError).message).toMatch(message);
    return;
  }
  expect.fail('expected DECODE_FAILED');
}

describe('CRC-64-AVRO fingerprint', () => {
  it('gives 0x7275d51a3f395c8f for the schema "int", as in the Avro reference data', () => {
    expect(rabinFingerprint64('"int"')).toBe(0x7275d51a3f395c8fn);
  });

  it('gives the Rabin seed for the empty string', () => {
    expect(rabinFingerprint64('')).toBe(0xc15d213aa4d7a795n);
  });

  it.each(REFERENCE)('matches the Avro reference canonical form and fingerprint of $canonical', ({ input, canonical, fingerprint }) => {
    const schema = input as avsc.Schema;
    expect(parsingCanonicalForm(schema)).toBe(canonical);
    expect(schemaFingerprint(schema)).toBe(BigInt.asUintN(64, fingerprint));
  });

  it('ignores doc strings, defaults and logical types, which do not change how data parses', () => {
    const plain = { type: 'record', name: 'R', namespace: 'n', fields: [{ name: 'at', type: 'long' }] };
    const annotated = { ...plain, doc: 'x', fields: [{ name: 'at', type: { type: 'long', logicalType: 'timestamp-millis' }, default: 0, doc: 'y' }] };
    expect(schemaFingerprint(annotated as avsc.Schema)).toBe(schemaFingerprint(plain as avsc.Schema));
  });
});

describe('framing', () => {
  it('writes the single-object header C3 01 + little-endian fingerprint, as the Avro reference implementations do for "int"', () => {
    const codec = new AvroCodec<number>('int');
    const bytes = codec.encode(3);
    expect(bytes.toString('hex')).toBe('c3018f5c393f1ad57572' + '06');
    expect(codec.decode(bytes)).toBe(3);
  });

  it('writes Confluent framing as 0x00 + big-endian schema id', () => {
    const codec = new AvroCodec<string>('string');
    const bytes = codec.encode('ab', { schemaRegistryId: 258 });
    expect(bytes.toString('hex')).toBe('0000000102' + '046162');
    expect(codec.decode(bytes)).toBe('ab');
  });

  it('splits both framings back into schema identity and body', () => {
    const body = Buffer.from([1, 2, 3]);
    expect(parseFrame(frameConfluent(7, body))).toEqual({ framing: 'confluent', schemaId: 7, body });
    const fp = fingerprintBytes(0x0102030405060708n);
    expect(parseFrame(Buffer.concat([Buffer.from([0xc3, 0x01]), fp, body]))).toEqual({ framing: 'single-object', fingerprint: '0807060504030201', body });
  });

  it('refuses schema ids outside int32', () => {
    expect(() => frameConfluent(-1, Buffer.alloc(0))).toThrow(/schema registry id/);
    expect(() => frameConfluent(2 ** 31, Buffer.alloc(0))).toThrow(/schema registry id/);
  });

  it('says why a message cannot be decoded', () => {
    const codec = new AvroCodec<string>('string');
    expectDecodeFailure(() => codec.decode(Buffer.alloc(0)), /too short: empty/);
    expectDecodeFailure(() => codec.decode(Buffer.from([0x00, 0, 0])), /too short: 3 bytes.*Confluent/);
    expectDecodeFailure(() => codec.decode(Buffer.from([0xc3, 0x01, 1, 2])), /too short: 4 bytes.*single-object/);
    expectDecodeFailure(() => codec.decode(Buffer.from('{"json":true}')), /bad magic: message starts with 0x7b22/);
    expectDecodeFailure(() => codec.decode(new AvroCodec<number>('int').encode(1)), /unknown fingerprint 8f5c393f1ad57572/);
    expectDecodeFailure(() => codec.decode(frameConfluent(99, Buffer.from([0]))), /unknown schema id 99/);
    const good = codec.encode('hello');
    expectDecodeFailure(() => codec.decode(good.subarray(0, good.length - 1)), /bad Avro data for string: truncated/);
    expectDecodeFailure(() => codec.decode(Buffer.concat([good, Buffer.from([0])])), /bad Avro data for string: trailing data/);
  });

  it('refuses to bind one schema id to two different schemas, even compatible ones', () => {
    const codec = new AvroCodec<string>('string');
    codec.encode('x', { schemaRegistryId: 5 });
    expect(() => codec.registerWriterSchema('bytes', 5)).toThrow(/schema id 5 already names/);
  });
});

describe('schema evolution', () => {
  const reader = loadSchema('InteractionEvent') as { fields: Array<Record<string, unknown>> };
  // The next version a newer producer might use: an optional field and a new event type.
  const newer = {
    ...reader,
    fields: [
      ...reader.fields.map((f) =>
        f.name === 'type' ? { ...f, type: { type: 'enum', name: 'EventType', symbols: ['UNKNOWN', 'VIEW', 'DISLIKE', 'ERASE', 'SHARE'], default: 'UNKNOWN' } } : f,
      ),
      { name: 'sessionId', type: ['null', 'string'], default: null },
    ],
  } as avsc.Schema;
  const base = { eventId: 'e1', userId: 'u1', itemId: 'i1', occurredAt: 1_700_000_000_000, weight: 2.5, sessionId: 's-9' };

  it('reads an event written by a newer writer schema once that schema is registered', () => {
    const codec = new AvroCodec<Record<string, unknown>>(reader as avsc.Schema);
    const writer = new AvroCodec<Record<string, unknown>>(newer);
    const bytes = writer.encode({ ...base, type: 'VIEW' });
    expectDecodeFailure(() => codec.decode(bytes), /unknown fingerprint/);

    codec.registerWriterSchema(newer);
    expect({ ...codec.decode(bytes) }).toEqual({ eventId: 'e1', userId: 'u1', itemId: 'i1', type: 'VIEW', occurredAt: 1_700_000_000_000, weight: 2.5 });
  });

  it('reads an enum symbol the reader does not know as UNKNOWN, also under a Confluent schema id', () => {
    const codec = new AvroCodec<Record<string, unknown>>(reader as avsc.Schema);
    codec.registerWriterSchema(newer, 42);
    const writer = new AvroCodec<Record<string, unknown>>(newer);
    expect(codec.decode(writer.encode({ ...base, type: 'SHARE' })).type).toBe('UNKNOWN');
    expect(codec.decode(writer.encode({ ...base, type: 'SHARE' }, { schemaRegistryId: 42 })).type).toBe('UNKNOWN');
  });

  it('refuses a writer schema that cannot be resolved against the reader', () => {
    const codec = new AvroCodec<Record<string, unknown>>(reader as avsc.Schema);
    const incompatible = { type: 'record', name: 'InteractionEvent', namespace: 'dev.intereststream', fields: [{ name: 'userId', type: 'int' }] };
    expect(() => codec.registerWriterSchema(incompatible as avsc.Schema)).toThrow(/cannot be read as dev.intereststream.InteractionEvent/);
  });
});

describe('schema files', () => {
  it('are found from the source tree and from the compiled tree alike', () => {
    const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
    const expected = join(repo, 'schemas', 'avro');
    expect(findSchemaDir(join(repo, 'services', 'core', 'avro'))).toBe(expected);
    expect(findSchemaDir(join(repo, 'dist', 'services', 'core', 'avro'))).toBe(expected);
    expect(() => findSchemaDir('/')).toThrow(/no schemas\/avro directory above \//);
  });
});
