import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { InterestStreamError } from '../../../services/domain/errors.js';
import { parseEventLine, parseItemLine, readJsonlLines } from '../../../services/core/jsonl.js';

const now = () => 1_700_000_000_000;
const newId = () => 'generated-id';

function inputError(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(InterestStreamError);
    expect((e as InterestStreamError).code).toBe('INVALID_INPUT');
    return (e as InterestStreamError).message;
  }
  return expect.fail('expected INVALID_INPUT');
}

describe('parseEventLine', () => {
  it('fills eventId, occurredAt and weight when absent', () => {
    expect(parseEventLine('{"userId":"u1","itemId":"i1","type":"view"}', 1, now, newId)).toEqual({
      eventId: 'generated-id',
      userId: 'u1',
      itemId: 'i1',
      type: 'VIEW',
      occurredAt: 1_700_000_000_000,
      weight: 1,
    });
  });

  it('keeps given fields, reads ISO-8601 and epoch-ms times, and types in any case', () => {
    const line = '{"eventId":"e9","userId":"u1","itemId":"i1","type":"DisLike","occurredAt":"2024-03-01T12:00:00.250Z","weight":0.5}';
    expect(parseEventLine(line, 1, now, newId)).toEqual({ eventId: 'e9', userId: 'u1', itemId: 'i1', type: 'DISLIKE', occurredAt: 1_709_294_400_250, weight: 0.5 });
    expect(parseEventLine('{"userId":"u1","itemId":"i1","type":"VIEW","occurredAt":1234}', 1, now, newId).occurredAt).toBe(1234);
  });

  it('generates a UUID by default', () => {
    expect(parseEventLine('{"userId":"u1","itemId":"i1","type":"view"}', 1).eventId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('accepts an erase without itemId and drops one given', () => {
    expect(parseEventLine('{"userId":"u1","type":"erase"}', 1, now, newId).itemId).toBe('');
    expect(parseEventLine('{"userId":"u1","type":"erase","itemId":"i1"}', 1, now, newId).itemId).toBe('');
  });

  it.each([
    ['not json', 'line 7: not valid JSON'],
    ['[1,2]', 'line 7: not a JSON object'],
    ['{"itemId":"i1","type":"view"}', 'line 7: userId is required'],
    ['{"userId":"u1","itemId":"i1"}', 'line 7: type is required'],
    ['{"userId":"u1","itemId":"i1","type":"share"}', 'line 7: type "share" is not one of view, dislike, erase'],
    ['{"userId":"u1","type":"view"}', 'line 7: itemId is required for VIEW'],
    ['{"userId":"u1","itemId":"","type":"dislike"}', 'line 7: itemId is required for DISLIKE'],
    ['{"userId":7,"itemId":"i1","type":"view"}', 'line 7: userId must be a string, got 7'],
    ['{"userId":"u1","itemId":"i1","type":"view","occurredAt":"yesterday"}', 'line 7: occurredAt "yesterday" is not an ISO-8601 date'],
    ['{"userId":"u1","itemId":"i1","type":"view","occurredAt":true}', 'line 7: occurredAt must be an ISO-8601 string or epoch milliseconds, got true'],
    ['{"userId":"u1","itemId":"i1","type":"view","occurredAt":1.5}', 'line 7: occurredAt must be epoch milliseconds >= 0, got 1.5'],
    ['{"userId":"u1","itemId":"i1","type":"view","weight":0}', 'line 7: weight must be a finite number above 0, got 0'],
    ['{"userId":"u1","itemId":"i1","type":"view","weight":"2"}', 'line 7: weight must be a number, got "2"'],
    ['{"userId":"u1","itemId":"i1","type":"view","eventId":""}', 'line 7: eventId is empty'],
  ])('rejects %s', (line, message) => {
    expect(inputError(() => parseEventLine(line, 7, now, newId))).toContain(message);
  });
});

describe('parseItemLine', () => {
  it('reads id, float32 vector and payload', () => {
    const item = parseItemLine('{"id":"book-1","vector":[0.5,-0.25,0.1],"payload":{"category":"books"}}', 3, 3);
    expect(item.id).toBe('book-1');
    expect(item.vector).toEqual(new Float32Array([0.5, -0.25, 0.1]));
    expect(item.vector[2]).toBe(Math.fround(0.1));
    expect(item.payload).toEqual({ category: 'books' });
  });

  it('defaults the payload to an empty object and the dimension to any', () => {
    expect(parseItemLine('{"id":"x","vector":[1,2,3,4]}', 1).payload).toEqual({});
  });

  it.each([
    ['{"id":"x","vector":[1,2]}', 'line 4: vector has 2 values, expected 3'],
    ['{"id":"x","vector":[1,1e999,3]}', 'line 4: vector[1] is Infinity, not a finite float32'],
    ['{"id":"x","vector":[1,2,1e39]}', 'line 4: vector[2] is 1e+39, not a finite float32'],
    ['{"id":"x","vector":[1,null,3]}', 'line 4: vector[1] is not a number (null)'],
    ['{"id":"x","vector":"1,2,3"}', 'line 4: vector must be an array of numbers, got "1,2,3"'],
    ['{"id":"x"}', 'line 4: vector must be an array of numbers, got nothing'],
    ['{"vector":[1,2,3]}', 'line 4: id is required'],
    ['{"id":"x","vector":[1,2,3],"payload":[1]}', 'line 4: payload must be a JSON object'],
    ['{"id":"x","vector":[]}', 'line 4: vector is empty'],
  ])('rejects %s', (line, message) => {
    expect(inputError(() => parseItemLine(line, 4, 3))).toContain(message);
  });
});

describe('readJsonlLines', () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('streams lines with 1-based numbers, keeping blank lines and stripping CR and a BOM', async () => {
    dir = await mkdtemp(join(tmpdir(), 'jsonl-'));
    const file = join(dir, 'events.jsonl');
    await writeFile(file, '\uFEFF{"a":1}\r\n\r\n{"b":2}\n');
    const lines: Array<{ line: string; lineNo: number }> = [];
    for await (const l of readJsonlLines(file)) lines.push(l);
    expect(lines).toEqual([
      { line: '{"a":1}', lineNo: 1 },
      { line: '', lineNo: 2 },
      { line: '{"b":2}', lineNo: 3 },
    ]);
  });

  it('fails for a missing file with INVALID_INPUT naming it', async () => {
    const iterate = async () => {
      for await (const _ of readJsonlLines('/nonexistent/file.jsonl')) void _;
    };
    await expect(iterate()).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringMatching(/cannot read \/nonexistent\/file.jsonl: .*ENOENT/) });
  });
});
