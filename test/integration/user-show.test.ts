import { spawn } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { silentLogger } from '../../services/core/logger.js';
import { usersCollection } from '../../services/core/names.js';
import { RedisGenerationRegistry } from '../../services/adapters/redis/redis-generation-registry.js';
import { runUserShow, type UserReport } from '../../services/cli/user-show.js';
import { DIM, GENERATION, startFixture, userState, type QueryFixture } from '../support/query-fixture.js';
import { sameStoreEnv } from '../support/vector-store-env.js';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const HOUR = 3_600_000;
const FIRST_WINDOW = 472_000;

/** Two windows at A = (1, 0, 0, 0), then two at (0.6, 0.8, 0, 0): drift 1 − 0.6 between the halves. */
const HISTORY = [
  [1, 0, 0, 0],
  [1, 0, 0, 0],
  [0.6, 0.8, 0, 0],
  [0.6, 0.8, 0, 0],
].map((v, k) => ({
  userId: 'alice',
  vector: new Float32Array(v),
  takenAt: (FIRST_WINDOW + k + 1) * HOUR - 1,
  eventCount: 3 * (k + 1),
  watermarkPartition: 1,
  watermarkOffset: String(10 * k),
  generation: GENERATION,
  window: FIRST_WINDOW + k,
}));

async function show(f: QueryFixture, args: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runUserShow(args, f.config, silentLogger(), (l) => out.push(l), (l) => err.push(l));
  return { code, out, err };
}

describe('interest-stream user show', () => {
  let f: QueryFixture;

  beforeAll(async () => {
    f = await startFixture({ redisUrl: inject('redisUrl'), kafkaBrokers: inject('kafkaBrokers') });
    await f.vectors.upsert(f.config.itemsCollection, [{ id: 'film-1', vector: new Float32Array([0, 0, 1, 0]), payload: { title: 'Dune', category: 'scifi', year: 1984 } }]);
    await f.users.putMany([
      userState('alice', {
        vector: new Float32Array([0.6, 0.8, 0, 0]),
        eventCount: 12,
        lastEventAt: Date.UTC(2023, 10, 14, 22, 13, 20),
        watermark: { partition: 1, offset: '41' },
        recentViews: ['film-1', 'item-03', 'gone-item'],
        seen: ['film-1', 'item-03', 'gone-item', 'item-12'],
        disliked: ['item-05', 'item-09'],
      }),
      userState('carol', { erased: true, eventCount: 4, watermark: { partition: 0, offset: '7' } }),
    ]);
    for (const s of HISTORY) await f.history.append(s);
    await f.seedDurable(userState('bob', { vector: new Float32Array([0, 0, 0, 2]), eventCount: 5, lastEventAt: 0, watermark: null }));
  });
  afterAll(async () => {
    await f.close();
  });

  it('prints state, recent items with catalogue titles, dislikes, history and drift — never the vector', async () => {
    const { code, out, err } = await show(f, ['alice']);
    expect({ code, err }).toEqual({ code: 0, err: [] });
    expect(out).toEqual([
      'user          alice',
      `generation    ${GENERATION} (from GENERATION: none activated)`,
      'source        redis',
      'events        12',
      'last event    2023-11-14T22:13:20.000Z',
      'erased        no',
      'watermark     1:41',
      `vector        dimension ${DIM}, norm 1.000000`,
      'recent views  3, oldest first',
      '  film-1  "Dune" [scifi]',
      '  item-03  [drama]',
      '  gone-item  (not in the catalogue)',
      'seen          4',
      'dislikes      2: item-05, item-09',
      'history       4 windows, oldest first',
      '  window 472000  2023-11-05T16:59:59.999Z  events 3  watermark 1:0',
      '  window 472001  2023-11-05T17:59:59.999Z  events 6  watermark 1:10',
      '  window 472002  2023-11-05T18:59:59.999Z  events 9  watermark 1:20',
      '  window 472003  2023-11-05T19:59:59.999Z  events 12  watermark 1:30',
      'drift         0.400000 (older vs newer half of 4 windows)',
      'trend         drift 0.400000 over the last 4 windows',
    ]);
    expect(out.join('\n')).not.toMatch(/0\.6000000|0\.8000000/);
  });

  it('--json prints one object with the same numbers', async () => {
    const { code, out } = await show(f, ['alice', '--json']);
    expect(code).toBe(0);
    expect(out).toHaveLength(1);
    const r = JSON.parse(out[0]!) as UserReport;
    expect(r).toMatchObject({
      userId: 'alice',
      generation: GENERATION,
      activated: false,
      source: 'redis',
      eventCount: 12,
      lastEventAt: '2023-11-14T22:13:20.000Z',
      erased: false,
      watermark: '1:41',
      recentViews: [
        { id: 'film-1', title: 'Dune', category: 'scifi', inCatalogue: true },
        { id: 'item-03', category: 'drama', inCatalogue: true },
        { id: 'gone-item', inCatalogue: false },
      ],
      seenCount: 4,
      dislikes: ['item-05', 'item-09'],
      history: { trend: { windowsUsed: 4 } },
    });
    expect(r.vector!.dimension).toBe(DIM);
    expect(r.vector!.norm).toBeCloseTo(1, 6);
    expect(r.history.drift).toBeCloseTo(0.4, 6);
    expect(r.history.trend!.drift).toBeCloseTo(0.4, 6);
    expect(r.history.snapshots.map((s) => [s.window, s.eventCount, s.watermark])).toEqual(HISTORY.map((s, k) => [s.window, 3 * (k + 1), `1:${10 * k}`]));
    expect(out[0]).not.toMatch(/0\.6000000|0\.8000000/);
  });

  it('reads a user found only in the durable users collection, and shows an erased user as erased', async () => {
    const bob = await show(f, ['bob']);
    expect(bob.code).toBe(0);
    expect(bob.out).toEqual(
      expect.arrayContaining([
        'source        durable',
        'events        5',
        'last event    none',
        'watermark     none',
        `vector        dimension ${DIM}, norm 2.000000`,
        'recent views  none',
        'dislikes      none',
        'history       none yet',
        'drift         n/a (fewer than 2 windows)',
        'trend         none: strategy=trend falls back to ema',
      ]),
    );
    const carol = JSON.parse((await show(f, ['carol', '--json'])).out[0]!) as UserReport;
    expect(carol).toMatchObject({ source: 'redis', erased: true, eventCount: 4, watermark: '0:7', vector: null, history: { snapshots: [], drift: null, trend: null } });
  });

  it('an unknown user exits 1 with a message naming the generation', async () => {
    const { code, out, err } = await show(f, ['nobody']);
    expect(code).toBe(1);
    expect(out).toEqual([]);
    expect(err).toEqual([`user "nobody" is unknown in generation ${GENERATION}: no state in Redis and none in the collection ${usersCollection(GENERATION)}`]);
    await expect(show(f, [])).rejects.toThrow(/user show needs exactly one user id/);
    await expect(show(f, ['a{b}'])).rejects.toThrow('userId may not contain control characters or braces');
  });

  it('runs in a process of its own that exits by itself once it has printed', async () => {
    const script = `import { runUserShow } from ${JSON.stringify(path.join(ROOT, 'services/cli/user-show.ts'))};
import { loadConfig } from ${JSON.stringify(path.join(ROOT, 'services/core/config.ts'))};
import { silentLogger } from ${JSON.stringify(path.join(ROOT, 'services/core/logger.ts'))};
process.exitCode = await runUserShow(process.argv.slice(1), loadConfig(process.env), silentLogger());`;
    const env = {
      ...process.env,
      REDIS_URL: f.config.redisUrl,
      REDIS_PREFIX: f.config.redisPrefix,
      GENERATION,
      ...sameStoreEnv(f.config),
    };
    const run = (user: string) =>
      new Promise<{ code: number | null; stdout: string }>((resolve) => {
        const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, user], { cwd: ROOT, env });
        let stdout = '';
        child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
        child.on('exit', (code) => resolve({ code, stdout }));
      });
    const known = await run('alice');
    expect(known.code).toBe(0);
    expect(known.stdout).toContain('events        12\n');
    expect((await run('nobody')).code).toBe(1);
  }, 30_000);

  it('reads the active generation, not GENERATION, once one is activated', async () => {
    const registry = new RedisGenerationRegistry(f.redis, f.config.redisPrefix);
    await registry.register({
      name: 'g2', createdAt: Date.now(), from: 'earliest', consumerGroup: 'cg.g2', redisPrefix: `${f.config.redisPrefix}:g2`,
      usersCollection: usersCollection('g2'), itemsCollection: f.config.itemsCollection, alpha: 0.2, beta: 0.5,
    });
    await registry.activate('g2');
    const { code, err } = await show(f, ['alice']);
    expect(code).toBe(1);
    expect(err[0]).toContain('unknown in generation g2');
  });
});
