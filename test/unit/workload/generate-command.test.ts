import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../../services/core/config.js';
import { parseEventLine, parseItemLine } from '../../../services/core/jsonl.js';
import { silentLogger } from '../../../services/core/logger.js';
import { GENERATE_USAGE, parseGenerateArgs, runGenerate } from '../../../services/cli/generate-command.js';

const dir = mkdtempSync(path.join(tmpdir(), 'generate-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => vi.restoreAllMocks());

const config = loadConfig({});
const small = ['--items', '120', '--dimension', '12', '--clusters', '4', '--users', '10', '--events', '500'];

async function generate(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
  vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void err.push(a.join(' ')));
  const code = await runGenerate(args, config, silentLogger());
  vi.restoreAllMocks();
  return { code, stdout: out.join('\n'), stderr: err.join('\n') };
}

function read(sub: string, file: string): string {
  return readFileSync(path.join(dir, sub, file), 'utf8');
}

describe('interest-stream generate --out', () => {
  it('writes items, events and users files that the import and publish commands accept', async () => {
    const r = await generate([...small, '--seed', '5', '--out', path.join(dir, 'a')]);
    expect(r).toEqual({ code: 0, stdout: `wrote 120 items, 500 events and 10 users to ${path.join(dir, 'a')}`, stderr: '' });
    const items = read('a', 'items.jsonl').split('\n');
    expect(items.pop()).toBe('');
    expect(items.map((l, i) => parseItemLine(l, i + 1, 12).id)).toEqual(Array.from({ length: 120 }, (_, i) => `item-${String(i + 1).padStart(6, '0')}`));
    const events = read('a', 'events.jsonl').trimEnd().split('\n').map((l, i) => parseEventLine(l, i + 1));
    expect(events).toHaveLength(500);
    expect(new Set(events.map((e) => e.type))).toEqual(new Set(['VIEW', 'DISLIKE']));
    const users = read('a', 'users.jsonl').trimEnd().split('\n').map((l) => JSON.parse(l) as { userId: string; events: number });
    expect(users.map((u) => u.userId)).toEqual(Array.from({ length: 10 }, (_, i) => `user-${String(i + 1).padStart(4, '0')}`));
    expect(users.reduce((n, u) => n + u.events, 0)).toBe(500);
  });

  it('gives byte-identical files for the same seed and different ones for another seed', async () => {
    await generate([...small, '--seed', '9', '--out', path.join(dir, 'b1')]);
    await generate([...small, '--seed', '9', '--out', path.join(dir, 'b2')]);
    await generate([...small, '--seed', '10', '--out', path.join(dir, 'c')]);
    for (const f of ['items.jsonl', 'events.jsonl', 'users.jsonl']) {
      expect(read('b2', f)).toBe(read('b1', f));
      expect(read('c', f)).not.toBe(read('b1', f));
    }
  });

  it('applies --rate and --start to the event times', async () => {
    await generate([...small, '--events', '3', '--rate', '2', '--start', '2025-06-01T12:00:00Z', '--out', path.join(dir, 'd')]);
    const times = read('d', 'events.jsonl').trimEnd().split('\n').map((l) => (JSON.parse(l) as { occurredAt: number }).occurredAt);
    const start = Date.parse('2025-06-01T12:00:00Z');
    expect(times).toEqual([start, start + 500, start + 1000]);
  });

  it('defaults to 2,000 items at d=64 in 8 clusters, 200 users, 10,000 events and seed 42', () => {
    expect(parseGenerateArgs(['--out', 'x'])).toMatchObject({ items: 2000, dimension: 64, clusters: 8, users: 200, events: 10_000, seed: 42, publish: false });
  });

  it.each([
    [['--items', 'lots', '--out', 'x'], '--items: must be an integer from 1 to 10000000, got "lots"'],
    [['--dimension', '1', '--out', 'x'], '--dimension: must be an integer from 2 to 65536, got "1"'],
    [['--seed=-3', '--out', 'x'], '--seed: must be an integer from 0 to 9007199254740991, got "-3"'],
    [['--seed', '1.5', '--out', 'x'], '--seed: must be an integer from 0 to 9007199254740991, got "1.5"'],
    [['--rate', '0', '--out', 'x'], '--rate: must be a number above 0, got "0"'],
    [['--start', 'yesterday', '--out', 'x'], '--start: must be an ISO-8601 time, got "yesterday"'],
    [['--items', '3', '--clusters', '5', '--out', 'x'], '--clusters: 5 clusters need at least as many items, but --items is 3'],
    [['--colour', 'red', '--out', 'x'], "Unknown option '--colour'"],
    [['--items'], "Option '--items <value>' argument missing"],
    [['--items', '10'], 'give --out DIR, --publish, or both'],
  ])('rejects %j, naming the flag, with exit code 2 and the usage', async (args, message) => {
    const r = await generate(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
    expect(r.stderr).toContain(GENERATE_USAGE);
    expect(r.stdout).toBe('');
  });

  it('prints the usage for --help', async () => {
    expect(await generate(['--help'])).toEqual({ code: 0, stdout: GENERATE_USAGE, stderr: '' });
  });
});
