/**
 * The DirtyUsers conformance suite: the Redis adapter and the in-memory fake run it unchanged.
 * `make(shards)` gives an empty set of dirty users over that many shards.
 */
import { describe, expect, it } from 'vitest';
import type { DirtyEntry, DirtyUsers } from '../../services/domain/ports/index.js';
import { unique } from '../support/names.js';

/** Every entry of a shard, page by page from cursor '0' until '0' comes back; `each` sees every page. */
export async function scanAll(dirty: DirtyUsers, shard: number, count: number, each?: (page: DirtyEntry[]) => Promise<void>): Promise<DirtyEntry[]> {
  const all: DirtyEntry[] = [];
  let cursor = '0';
  do {
    const page = await dirty.scan(shard, cursor, count);
    all.push(...page.entries);
    await each?.(page.entries);
    cursor = page.cursor;
  } while (cursor !== '0');
  return all;
}

/** Every entry of every shard, ordered by user id (HSCAN may return an entry twice: once here). */
async function everything(dirty: DirtyUsers): Promise<DirtyEntry[]> {
  const shards = await Promise.all(Array.from({ length: dirty.shards }, (_, i) => scanAll(dirty, i, 1000)));
  const byUser = new Map(shards.flat().map((e) => [e.userId, e]));
  return [...byUser.values()].sort((a, b) => (a.userId < b.userId ? -1 : 1));
}

export function describeDirtyUsersContract(name: string, make: (shards: number) => DirtyUsers): void {
  describe(`DirtyUsers contract: ${name}`, () => {
    it('puts a user’s marks in one stable shard of those it has', async () => {
      const dirty = make(4);
      expect(dirty.shards).toBe(4);
      const u = unique('u');
      const shard = dirty.shardOf(u);
      expect(Number.isInteger(shard) && shard >= 0 && shard < 4).toBe(true);
      expect(make(4).shardOf(u)).toBe(shard);
      await dirty.mark([{ userId: u, watermark: { partition: 0, offset: '1' } }]);
      for (let s = 0; s < 4; s++) expect(await scanAll(dirty, s, 100)).toEqual(s === shard ? [{ userId: u, mark: '0:1' }] : []);
      // 1600 users spread over every one of 16 shards.
      expect(new Set(Array.from({ length: 1600 }, (_, i) => make(16).shardOf(`user-${i}`))).size).toBe(16);
    });

    it('keeps one entry per user, with the latest mark; a user marked without a watermark has an empty mark', async () => {
      const dirty = make(2);
      const [a, b] = [unique('a'), unique('b')].sort() as [string, string];
      await dirty.mark([{ userId: a, watermark: { partition: 1, offset: '9007199254740993' } }, { userId: b, watermark: null }]);
      await dirty.mark([{ userId: a, watermark: { partition: 1, offset: '9007199254740994' } }]);
      await dirty.mark([]);
      expect(await everything(dirty)).toEqual([{ userId: a, mark: '1:9007199254740994' }, { userId: b, mark: '' }]);
    });

    it('clears a user only if not marked again since the scan, and counts what it removed', async () => {
      const dirty = make(4);
      const [f, g] = [unique('f'), unique('g')].sort() as [string, string];
      await dirty.mark([{ userId: f, watermark: { partition: 0, offset: '1' } }, { userId: g, watermark: { partition: 0, offset: '1' } }]);
      const read = await everything(dirty);
      expect(read.map((e) => e.userId)).toEqual([f, g]);
      await dirty.mark([{ userId: g, watermark: { partition: 0, offset: '2' } }]);
      const removed = await Promise.all(read.map((e) => dirty.clear(dirty.shardOf(e.userId), [e])));
      expect(removed).toEqual([1, 0]);
      expect(await everything(dirty)).toEqual([{ userId: g, mark: '0:2' }]);
      // Clearing again, or nothing, removes nothing; clearing with the right mark does.
      expect(await dirty.clear(dirty.shardOf(f), read.slice(0, 1))).toBe(0);
      expect(await dirty.clear(0, [])).toBe(0);
      expect(await dirty.clear(dirty.shardOf(g), [{ userId: g, mark: '0:2' }])).toBe(1);
      expect(await everything(dirty)).toEqual([]);
    });

    it('scans an empty shard in one page that ends the scan', async () => {
      expect(await make(3).scan(1, '0', 10)).toEqual({ cursor: '0', entries: [] });
    });

    it('a scan that clears each page as it goes still visits every user, and leaves the shard empty', async () => {
      const dirty = make(2);
      // Ids past 64 bytes: Redis keeps no such hash compact (it would hand it over in one page).
      const users = Array.from({ length: 300 }, (_, i) => unique(`many${i}`).padEnd(80, '.'));
      await dirty.mark(users.map((userId) => ({ userId, watermark: { partition: 0, offset: '7' } })));
      const seen = new Set<string>();
      let pages = 0;
      for (let shard = 0; shard < 2; shard++) {
        await scanAll(dirty, shard, 20, async (page) => {
          pages++;
          for (const e of page) seen.add(e.userId);
          await dirty.clear(shard, page);
        });
      }
      expect([...seen].sort()).toEqual([...users].sort());
      expect(pages).toBeGreaterThan(2);
      expect(await everything(dirty)).toEqual([]);
    });

    it('a user marked during a scan is found by it or stays marked for the next', async () => {
      const dirty = make(1);
      const early = Array.from({ length: 200 }, (_, i) => unique(`early${i}`).padEnd(80, '.'));
      await dirty.mark(early.map((userId) => ({ userId, watermark: { partition: 0, offset: '1' } })));
      const late = unique('late');
      let marked = false;
      const seen = await scanAll(dirty, 0, 20, async (page) => {
        if (!marked) await dirty.mark([{ userId: late, watermark: { partition: 0, offset: '2' } }]);
        marked = true;
        await dirty.clear(0, page);
      });
      expect(new Set(seen.map((e) => e.userId)).size).toBeGreaterThanOrEqual(early.length);
      const found = seen.some((e) => e.userId === late);
      expect(await everything(dirty)).toEqual(found ? [] : [{ userId: late, mark: '0:2' }]);
    });
  });
}
