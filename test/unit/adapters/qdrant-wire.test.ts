import { describe, expect, it } from 'vitest';
import { chunkPoints, compactVector, type QdrantPointBody } from '../../../services/adapters/vector-store/qdrant-wire.js';
import { backoffDelay, translateQdrantError, withQdrantRetries } from '../../../services/adapters/vector-store/qdrant-errors.js';
import { checkedDimension, createCollectionBody } from '../../../services/adapters/vector-store/qdrant-collections.js';
import { parsePayloadIndexes } from '../../../services/core/payload-indexes.js';
import { rng } from '../../support/random.js';

function randomFloats(n: number, seed: number): Float32Array {
  const rand = rng(seed);
  // Spread over many magnitudes, both signs, plus the awkward values.
  const v = Float32Array.from({ length: n }, () => (rand() - 0.5) * 10 ** Math.floor(rand() * 12 - 8));
  v.set([0, -0, 1, -1, 1e-38, 3.4028234663852886e38, 1.401298464324817e-45, 0.1, 1 / 3]);
  return v;
}

describe('compactVector', () => {
  it('writes each float32 with at most 9 significant digits and reads back bit-exact', () => {
    const v = randomFloats(20_000, 7);
    const compact = compactVector(v);
    const parsed = Float32Array.from(JSON.parse(JSON.stringify(compact)) as number[]);
    expect(Array.from(new Uint32Array(parsed.buffer))).toEqual(Array.from(new Uint32Array(v.buffer)).map((b) => (b === 0x80000000 ? 0 : b)));
    const digits = compact.map((x) => x.toExponential().split('e')[0]!.replace(/[-.]/g, '').length);
    expect(Math.max(...digits)).toBeLessThanOrEqual(9);
  });

  it('shrinks the JSON of a unit vector to about two thirds of a plain Array.from (17 digits)', () => {
    const raw = randomFloats(1536, 3).map((x) => Math.sign(x) * Math.min(1, Math.abs(x)));
    const norm = Math.hypot(...raw);
    const v = raw.map((x) => x / norm);
    const compact = JSON.stringify(compactVector(v)).length;
    const plain = JSON.stringify(Array.from(v)).length;
    expect(compact / plain).toBeLessThan(0.7);
  });
});

describe('chunkPoints', () => {
  const point = (i: number, dim = 8): QdrantPointBody => ({ id: `uuid-${String(i).padStart(4, '0')}`, vector: Array.from({ length: dim }, () => 0.123456789), payload: { __id: `p${String(i).padStart(4, '0')}` } });
  const idOf = (p: QdrantPointBody) => String(p.payload.__id);

  it('keeps every point, in order, in requests under both the count and the byte limit', () => {
    const points = Array.from({ length: 1000 }, (_, i) => point(i));
    const size = JSON.stringify(points[0]).length + 1;
    const byCount = chunkPoints(points, { maxPoints: 300, maxBytes: 1 << 30 }, idOf);
    expect(byCount.map((c) => c.length)).toEqual([300, 300, 300, 100]);
    const maxBytes = 64 + size * 70; // room for exactly 70 points
    const byBytes = chunkPoints(points, { maxPoints: 10_000, maxBytes }, idOf);
    expect(byBytes.map((c) => c.length)).toEqual([...Array(14).fill(70), 20]);
    for (const c of byBytes) expect(Buffer.byteLength(JSON.stringify({ points: c }))).toBeLessThanOrEqual(maxBytes);
    expect(byBytes.flat()).toEqual(points);
  });

  it('refuses a point that alone exceeds the byte limit, naming it (never sent, never retried)', () => {
    const e = (() => {
      try {
        chunkPoints([point(0), point(1, 5000)], { maxPoints: 10, maxBytes: 8192 }, idOf);
      } catch (err) {
        return err;
      }
    })();
    expect(e).toMatchObject({ code: 'INVALID_INPUT', retryable: false, details: { id: 'p0001', maxBytes: 8192 } });
    expect(String((e as Error).message)).toContain('QDRANT_MAX_REQUEST_BYTES=8192');
  });
});

describe('Qdrant error mapping', () => {
  const http = (status: number, error?: string) => Object.assign(new Error(`status ${status}`), { status, data: { status: { error } } });
  it.each([
    [http(400, 'Format error in JSON body: JSON payload (33554433 bytes) is larger than allowed (limit: 33554432 bytes).'), 'INVALID_INPUT', false, 'max_request_size_mb'],
    [http(413, 'Payload Too Large'), 'INVALID_INPUT', false, 'max_request_size_mb'],
    [http(409, 'Wrong input: Collection `users` already exists!'), 'INVALID_INPUT', false, 'already exists'],
    [http(401, 'Must provide an API key'), 'CONFIG_INVALID', false, 'QDRANT_API_KEY'],
    [http(429, 'Too many requests'), 'STORE_UNAVAILABLE', true, 'Too many requests'],
    [http(502), 'STORE_UNAVAILABLE', true, 'qdrant: op'],
    [Object.assign(new Error('timed out'), { name: 'QdrantClientTimeoutError' }), 'STORE_UNAVAILABLE', true, 'timed out'],
    [new RangeError('a bug of ours'), 'INTERNAL', false, 'a bug of ours'],
  ])('%s -> %s (retryable %s)', (error, code, retryable, text) => {
    const translated = translateQdrantError(error, 'op');
    expect(translated).toMatchObject({ code, retryable });
    expect(translated.message).toContain(text);
  });
});

describe('withQdrantRetries', () => {
  const policy = { attempts: 4, baseDelayMs: 100, maxDelayMs: 1000 };
  const failWith = (errors: unknown[]) => {
    let calls = 0;
    const op = async () => {
      const e = errors[calls++];
      if (e !== undefined) throw e;
      return 'ok';
    };
    return { op, calls: () => calls };
  };

  it('retries 5xx and 429 with growing delays until it succeeds', async () => {
    const sleeps: number[] = [];
    const { op, calls } = failWith([Object.assign(new Error('x'), { status: 503 }), Object.assign(new Error('x'), { status: 429 })]);
    await expect(withQdrantRetries('op', op, policy, async (ms) => void sleeps.push(ms))).resolves.toBe('ok');
    expect(calls()).toBe(3);
    expect(sleeps[0]).toBeGreaterThanOrEqual(50);
    expect(sleeps[0]).toBeLessThanOrEqual(100);
    expect(sleeps[1]).toBeGreaterThanOrEqual(100);
    expect(sleeps[1]).toBeLessThanOrEqual(200);
  });

  it('gives up after the attempts allowed, with the last error', async () => {
    const { op, calls } = failWith(Array.from({ length: 10 }, () => Object.assign(new Error('x'), { status: 500, data: { status: { error: 'boom' } } })));
    await expect(withQdrantRetries('op', op, policy, async () => undefined)).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE', message: 'qdrant: op: boom' });
    expect(calls()).toBe(4);
  });

  it('never repeats a request Qdrant refused for what it is', async () => {
    const { op, calls } = failWith([Object.assign(new Error('x'), { status: 400, data: { status: { error: 'JSON payload (40000000 bytes) is larger than allowed' } } })]);
    await expect(withQdrantRetries('op', op, policy, async () => undefined)).rejects.toMatchObject({ code: 'INVALID_INPUT', retryable: false });
    expect(calls()).toBe(1);
  });

  it('caps the delay', () => {
    expect(backoffDelay(policy, 10, () => 1)).toBe(1000);
    expect(backoffDelay(policy, 0, () => 0)).toBe(50);
  });
});

describe('collection layout', () => {
  it('accepts one unnamed Cosine vector and returns its size', () => {
    expect(checkedDimension('c', { size: 64, distance: 'Cosine' })).toBe(64);
  });

  it.each([
    [{ size: 64, distance: 'Dot' }, 'exists with distance Dot'],
    [{ text: { size: 64, distance: 'Cosine' }, image: { size: 512, distance: 'Cosine' } }, 'exists with named vectors (text, image)'],
    [undefined, 'exists with no dense vectors'],
  ])('refuses %j with a clear, non-retryable reason', (vectors, text) => {
    expect(() => checkedDimension('c', vectors as never)).toThrow(text);
  });

  it('creates collections with the configured factors and on-disk payload', () => {
    expect(createCollectionBody(32, { onDiskPayload: true, shardNumber: 6, replicationFactor: 2, writeConsistencyFactor: 2, payloadIndexes: [] })).toEqual({
      vectors: { size: 32, distance: 'Cosine' },
      on_disk_payload: true,
      shard_number: 6,
      replication_factor: 2,
      write_consistency_factor: 2,
    });
  });

  it('parses QDRANT_PAYLOAD_INDEXES and names each bad entry', () => {
    expect(parsePayloadIndexes(' category:keyword, year:integer ,,premium:bool')).toEqual({
      indexes: [
        { field: 'category', type: 'keyword' },
        { field: 'year', type: 'integer' },
        { field: 'premium', type: 'bool' },
      ],
      problems: [],
    });
    expect(parsePayloadIndexes('year:date,nocolon,a.b:keyword').problems).toEqual([
      'QDRANT_PAYLOAD_INDEXES: "year:date": type must be one of keyword, integer, float, bool',
      'QDRANT_PAYLOAD_INDEXES: "nocolon": type must be one of keyword, integer, float, bool',
      'QDRANT_PAYLOAD_INDEXES: "a.b:keyword" is not field:type',
    ]);
  });
});
