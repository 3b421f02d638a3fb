import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseEventLine } from '../../../services/core/jsonl.js';
import { createActivity, DEFAULT_START_TIME, driftShare, eventJson, uuidShaped, writeJsonl, type ActivityOptions, type GeneratedEvent } from '../../../services/workload/activity.js';
import { createCatalogue, type Catalogue } from '../../../services/workload/catalogue.js';

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

const catalogue = createCatalogue({ items: 1000, dimension: 16, clusters: 8, seed: 42 });
const options: ActivityOptions = { users: 100, events: 20_000, seed: 42 };
const activity = createActivity(catalogue, options);
const events = [...activity.events()];

function clusterOf(c: Catalogue, itemId: string): number {
  return c.clusterOf(c.itemIndex(itemId));
}

function byUser(list: readonly GeneratedEvent[]): Map<string, GeneratedEvent[]> {
  const out = new Map<string, GeneratedEvent[]>();
  for (const e of list) out.set(e.userId, [...(out.get(e.userId) ?? []), e]);
  return out;
}

/** Share of a user's views, in one quarter of their events, whose item is in `cluster`. */
function viewShareIn(userEvents: readonly GeneratedEvent[], quarter: 0 | 3, cluster: number): number {
  const q = Math.floor(userEvents.length / 4);
  const slice = quarter === 0 ? userEvents.slice(0, q) : userEvents.slice(userEvents.length - q);
  const views = slice.filter((e) => e.type === 'VIEW');
  return views.filter((e) => clusterOf(catalogue, e.itemId) === cluster).length / views.length;
}

describe('synthetic activity', () => {
  it('is a function of its options: the same seed gives identical lines, another seed different ones', () => {
    const again = [...createActivity(catalogue, options).events()].map(eventJson);
    expect(again).toEqual(events.map(eventJson));
    const other = [...createActivity(catalogue, { ...options, seed: 43 }).events()];
    expect(other).toHaveLength(20_000);
    const ids = new Set(events.map((e) => e.eventId));
    expect(other.filter((e) => ids.has(e.eventId))).toEqual([]);
    expect(other.map((e) => e.userId)).not.toEqual(events.map((e) => e.userId));
  });

  it('emits the requested number of events at the requested rate, with unique uuid-shaped ids', () => {
    expect(events).toHaveLength(20_000);
    expect(activity.eventCount).toBe(20_000);
    events.forEach((e, i) => expect(e.occurredAt).toBe(DEFAULT_START_TIME + 100 * i));
    expect(new Set(events.map((e) => e.eventId)).size).toBe(20_000);
    for (const e of events) expect(e.eventId).toMatch(UUID_V4);
    const fast = [...createActivity(catalogue, { ...options, events: 5, startTime: 1_000, eventsPerSecond: 250 }).events()];
    expect(fast.map((e) => e.occurredAt)).toEqual([1_000, 1_004, 1_008, 1_012, 1_016]);
  });

  it('matches the ground truth: user ids, event counts, distinct start and end clusters', () => {
    expect(activity.users.map((u) => u.userId).slice(0, 2)).toEqual(['user-0001', 'user-0002']);
    expect(activity.users.reduce((n, u) => n + u.events, 0)).toBe(20_000);
    const grouped = byUser(events);
    for (const u of activity.users) {
      expect(grouped.get(u.userId)?.length ?? 0).toBe(u.events);
      expect(u.events).toBeGreaterThanOrEqual(1);
      expect(u.endCluster).not.toBe(u.startCluster);
      expect(u.startCategory).toBe(catalogue.categories[u.startCluster]);
      expect(u.endCategory).toBe(catalogue.categories[u.endCluster]);
    }
    // Activity is uneven, as in real life: the busiest user does several times the median's events.
    const counts = activity.users.map((u) => u.events).sort((a, b) => a - b);
    expect(counts.at(-1)!).toBeGreaterThan(2 * counts[50]!);
  });

  it('views items of the current interest: the start cluster early, the end cluster late, for every user', () => {
    const grouped = byUser(events);
    let early = 0;
    let late = 0;
    for (const u of activity.users) {
      const mine = grouped.get(u.userId)!;
      expect(mine[0]!.type).toBe('VIEW');
      expect(clusterOf(catalogue, mine[0]!.itemId)).toBe(u.startCluster);
      if (mine.length < 40) continue;
      expect(viewShareIn(mine, 3, u.endCluster)).toBeGreaterThan(viewShareIn(mine, 0, u.endCluster));
      early += viewShareIn(mine, 0, u.startCluster);
      late += viewShareIn(mine, 3, u.endCluster);
    }
    const n = activity.users.filter((u) => u.events >= 40).length;
    expect(n).toBeGreaterThan(80);
    // 10% of views explore a random cluster (1 in 8 of which is the interest itself): about 91% in-interest.
    expect(early / n).toBeGreaterThan(0.85);
    expect(late / n).toBeGreaterThan(0.85);
  });

  it('drifts linearly over the middle half of a user\'s events', () => {
    expect([0, 24, 25, 50, 75, 76, 100].map((s) => driftShare(s, 101))).toEqual([0, 0, 0, 0.5, 1, 1, 1]);
    expect(driftShare(0, 1)).toBe(0);
  });

  it('includes about 5% dislikes, each of an item, mostly outside what the user likes', () => {
    const dislikes = events.filter((e) => e.type === 'DISLIKE');
    expect(dislikes.length / events.length).toBeGreaterThan(0.04);
    expect(dislikes.length / events.length).toBeLessThan(0.06);
    const truth = new Map(activity.users.map((u) => [u.userId, u]));
    const outside = dislikes.filter((e) => {
      const u = truth.get(e.userId)!;
      const c = clusterOf(catalogue, e.itemId);
      return c !== u.startCluster && c !== u.endCluster;
    });
    expect(outside.length / dislikes.length).toBeGreaterThan(0.72);
    expect(outside.length / dislikes.length).toBeLessThan(0.88);
    for (const e of events) expect(catalogue.itemIndex(e.itemId)).toBeGreaterThanOrEqual(0);
  });

  it('prefers the popular items of a cluster: its first quarter gets about half of the views', () => {
    let head = 0;
    let views = 0;
    for (const e of events) {
      if (e.type !== 'VIEW') continue;
      const index = catalogue.itemIndex(e.itemId);
      const members = Array.from(catalogue.membersOf(catalogue.clusterOf(index)));
      views++;
      if (members.indexOf(index) < members.length / 4) head++;
    }
    expect(head / views).toBeGreaterThan(0.47);
    expect(head / views).toBeLessThan(0.53);
  });

  it('writes lines that the events publish accepts, giving back the same events', () => {
    for (const [i, e] of events.slice(0, 2000).entries()) expect(parseEventLine(eventJson(e), i + 1)).toEqual(e);
  });

  it('copes with one cluster, with no events, and with fewer events than users', () => {
    const one = createCatalogue({ items: 10, dimension: 4, clusters: 1, seed: 1 });
    const a = createActivity(one, { users: 3, events: 30, seed: 1 });
    expect(a.users.every((u) => u.startCluster === 0 && u.endCluster === 0)).toBe(true);
    expect([...a.events()].filter((e) => e.type === 'DISLIKE').every((e) => e.itemId.startsWith('item-'))).toBe(true);
    expect([...createActivity(catalogue, { users: 5, events: 0, seed: 1 }).events()]).toEqual([]);
    const sparse = createActivity(catalogue, { users: 50, events: 10, seed: 1 });
    expect(sparse.users.reduce((n, u) => n + u.events, 0)).toBe(10);
    expect([...sparse.events()]).toHaveLength(10);
  });

  it('rejects bad options, naming them', () => {
    expect(() => createActivity(catalogue, { users: 0, events: 1, seed: 1 })).toThrow(/users must be a positive integer/);
    expect(() => createActivity(catalogue, { users: 1, events: 1, seed: 1, dislikeRate: 2 })).toThrow(/dislikeRate must be in \[0, 1\]/);
    expect(() => createActivity(catalogue, { users: 1, events: 1, seed: 1, eventsPerSecond: 0 })).toThrow(/eventsPerSecond must be above 0/);
  });
});

describe('uuidShaped', () => {
  it('gives distinct ids for distinct counters and seeds', () => {
    const ids = new Set<string>();
    for (let i = 0; i < 50_000; i++) ids.add(uuidShaped(7, i));
    expect(ids.size).toBe(50_000);
    expect(uuidShaped(7, 0)).toBe(uuidShaped(7, 0));
    expect(uuidShaped(8, 0)).not.toBe(uuidShaped(7, 0));
  });
});

describe('writeJsonl', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'workload-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes one line per string, each ending in a newline, across chunk boundaries', async () => {
    const file = path.join(dir, 'lines.jsonl');
    const lines = Array.from({ length: 30_000 }, (_, i) => JSON.stringify({ i, pad: 'x'.repeat(i % 97) }));
    const progress: number[] = [];
    expect(await writeJsonl(file, lines, (n) => progress.push(n))).toBe(30_000);
    expect(readFileSync(file, 'utf8')).toBe(`${lines.join('\n')}\n`);
    expect(progress.length).toBeGreaterThan(1);
    expect(progress.at(-1)).toBe(30_000);
  });

  it('names the file it cannot write', async () => {
    const file = path.join(dir, 'missing', 'x.jsonl');
    await expect(writeJsonl(file, ['{}'])).rejects.toThrow(`cannot write ${file}`);
  });
});
