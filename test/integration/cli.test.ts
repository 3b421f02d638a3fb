import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { decodeInteraction } from '../../services/core/events.js';
import { decodeToken } from '../../services/core/consistency-token.js';
import { eventually } from '../support/eventually.js';
import { IngestHarness } from '../support/ingest-harness.js';
import { unique } from '../support/names.js';

const ROOT = path.resolve(import.meta.dirname, '..', '..');

function cli(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'services/cli/main.ts'), ...args], {
      cwd: ROOT,
      env: { ...process.env, ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('interest-stream CLI', () => {
  const h = new IngestHarness({ kafkaBrokers: inject('kafkaBrokers'), redisUrl: inject('redisUrl') });
  let dir: string;

  beforeAll(async () => {
    await h.start();
    dir = h.dir;
  });
  afterAll(() => h.close());

  it('rejects a catalogue with a bad line, naming the line, and imports nothing', async () => {
    const file = path.join(dir, 'bad.jsonl');
    writeFileSync(file, ['{"id":"a","vector":[1,0,0]}', '', '{"id":"b","vector":[0,1]}', '{"id":"c","vector":[0,0,1]}'].join('\n'));
    const r = await cli(['items', 'import', file], h.env);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/line 3/);
    expect(r.stderr).toContain('line 3: vector has 2 values, expected 3');
    expect(await h.store.collectionDimension(h.config.itemsCollection)).toBeUndefined();
  });

  it('imports a catalogue as unit vectors with payloads', async () => {
    const file = path.join(dir, 'good.jsonl');
    writeFileSync(file, ['{"id":"a","vector":[3,4,0],"payload":{"category":"x"}}', '{"id":"b","vector":[0,0,2]}', ''].join('\n'));
    const r = await cli(['items', 'import', file], h.env);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('imported 2 items (dimension 3)');
    const got = await h.store.get(h.config.itemsCollection, ['a', 'b']);
    expect(Array.from(got.get('a')!.vector)).toEqual([0.6000000238418579, 0.800000011920929, 0]);
    expect(got.get('a')!.payload).toEqual({ category: 'x' });
    expect(Array.from(got.get('b')!.vector)).toEqual([0, 0, 1]);
  });

  it('publishes events keyed by user, generating ids, and refuses a file with a bad line', async () => {
    const bad = path.join(dir, 'bad-events.jsonl');
    writeFileSync(bad, ['{"userId":"u1","itemId":"a","type":"view"}', '{"userId":"u1","type":"like"}'].join('\n'));
    const r1 = await cli(['events', 'publish', bad], h.env);
    expect(r1.code).toBe(1);
    expect(r1.stderr).toMatch(/line 2/);
    const ends1 = await h.admin.fetchTopicOffsets(h.config.interactionsTopic);
    expect(ends1.every((p) => p.high === '0')).toBe(true);

    const good = path.join(dir, 'events.jsonl');
    writeFileSync(
      good,
      [
        '{"userId":"u1","itemId":"a","type":"view","occurredAt":"2026-01-02T03:04:05Z"}',
        '{"userId":"u2","itemId":"b","type":"dislike","weight":2}',
        '{"eventId":"fixed-id","userId":"u1","type":"erase","occurredAt":1700000000000}',
      ].join('\n'),
    );
    const r2 = await cli(['events', 'publish', good], h.env);
    expect(r2.stdout).toContain(`published 3 events to ${h.config.interactionsTopic}`);
    const consumer = h.kafka.consumer({ groupId: unique('cli-reader') });
    await consumer.connect();
    await consumer.subscribe({ topic: h.config.interactionsTopic, fromBeginning: true });
    const seen: Array<{ key: string; type: string; eventId: string; occurredAt: number; weight: number }> = [];
    await consumer.run({
      eachMessage: async ({ message }) => {
        const e = decodeInteraction(message.value!);
        seen.push({ key: String(message.key), type: e.type, eventId: e.eventId, occurredAt: e.occurredAt, weight: e.weight });
      },
    });
    await eventually(() => seen.length === 3);
    await consumer.disconnect();
    const u1 = seen.filter((s) => s.key === 'u1');
    expect(u1.map((s) => s.type)).toEqual(['VIEW', 'ERASE']);
    expect(u1[0]!.occurredAt).toBe(Date.parse('2026-01-02T03:04:05Z'));
    expect(u1[0]!.eventId).toMatch(/^[0-9a-f-]{36}$/);
    expect(u1[1]!.eventId).toBe('fixed-id');
    expect(seen.find((s) => s.key === 'u2')).toMatchObject({ type: 'DISLIKE', weight: 2 });
  });

  it('events publish --json prints the consistency token: per partition written, the last offset', async () => {
    const file = path.join(dir, 'more-events.jsonl');
    writeFileSync(file, ['u3', 'u4', 'u5', 'u6', 'u3'].map((u) => JSON.stringify({ userId: u, itemId: 'a', type: 'view' })).join('\n'));
    const before = new Map((await h.admin.fetchTopicOffsets(h.config.interactionsTopic)).map((p) => [p.partition, BigInt(p.high)]));
    const r = await cli(['events', 'publish', file, '--json'], h.env);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout.trim()) as { published: number; topic: string; after: string };
    expect(out).toMatchObject({ published: 5, topic: h.config.interactionsTopic });
    const after = await h.admin.fetchTopicOffsets(h.config.interactionsTopic);
    const written = after.filter((p) => BigInt(p.high) > before.get(p.partition)!).map((p) => [p.partition, BigInt(p.high) - 1n] as const);
    expect(decodeToken(out.after)).toEqual({ topic: h.config.interactionsTopic, offsets: new Map(written) });
  });

  it('explains an invalid configuration, listing every problem', async () => {
    const r = await cli(['items', 'import', 'x.jsonl'], { ...h.env, FOLD_ALPHA: '2', KAFKA_BROKERS: 'nope' });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('FOLD_ALPHA="2": must be a number in (0, 1]');
    expect(r.stderr).toContain('KAFKA_BROKERS: "nope" is not host:port');
  });
});
