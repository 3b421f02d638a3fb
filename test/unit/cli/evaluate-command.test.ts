import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runEvaluate } from '../../../services/cli/evaluate-command.js';
import { writeWorkload } from '../../../services/cli/generate-command.js';
import { loadConfig } from '../../../services/core/config.js';
import { createRootLogger } from '../../../services/core/logger.js';
import { createActivity } from '../../../services/workload/activity.js';
import { createCatalogue } from '../../../services/workload/catalogue.js';
import { bruteForceEvaluation, type BfStrategy } from '../../support/brute-force-evaluation.js';

const logger = createRootLogger({ level: 'silent', name: 'test' });
const config = loadConfig({});
const catalogue = createCatalogue({ items: 400, dimension: 24, clusters: 6, seed: 11 });
const activity = createActivity(catalogue, { users: 60, events: 3000, seed: 11 });
let dir: string;

interface Doc {
  counts: { scored: number; coldStart: number; excludedTargets: number };
  variants: Array<{ name: string; events: number; hr: number; ndcg: number; mrr: number; coverage: number; ils: number }>;
}

async function evaluate(...flags: string[]): Promise<Doc> {
  const out = path.join(dir, `out-${Math.random().toString(36).slice(2)}`);
  const log = vi.spyOn(console, 'log').mockImplementation(() => {});
  try {
    const code = await runEvaluate(['--items', path.join(dir, 'items.jsonl'), '--events', path.join(dir, 'events.jsonl'), '--out', out, ...flags], config, logger);
    expect(code).toBe(0);
  } finally {
    log.mockRestore();
  }
  return JSON.parse(await readFile(path.join(out, 'evaluation.json'), 'utf8')) as Doc;
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'evaluate-'));
  await writeWorkload(dir, catalogue, activity, logger);
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('interest-stream evaluate on the synthetic workload', () => {
  it('equals an independent brute-force computation for ema, average and last-item, exactly', async () => {
    const doc = await evaluate('--strategies', 'ema,average,last', '--alpha', '0.1,0.3', '--beta', '0,0.5', '--k', '10');
    // The vectors as written to the file (7 decimals), read with plain JSON.parse.
    const lines = (await readFile(path.join(dir, 'items.jsonl'), 'utf8')).trim().split('\n');
    const items = lines.map((l) => JSON.parse(l) as { id: string; vector: number[] }).map((it) => ({ id: it.id, vector: Float32Array.from(it.vector) }));
    const events = [...activity.events()];
    const expected = (strategy: BfStrategy, alpha: number, beta: number) =>
      bruteForceEvaluation(items, events, { strategy, k: 10, alpha, beta, recentViews: config.recentViews, seenCap: config.seenCap });
    const cases: Array<[string, BfStrategy, number, number]> = [
      ['ema(α=0.1,β=0)', 'ema', 0.1, 0],
      ['ema(α=0.1,β=0.5)', 'ema', 0.1, 0.5],
      ['ema(α=0.3,β=0)', 'ema', 0.3, 0],
      ['ema(α=0.3,β=0.5)', 'ema', 0.3, 0.5],
      // average and last-item read the first (α, β) fold's lists; α and β do not change them
      ['average', 'average', 0.1, 0],
      ['last', 'last', 0.1, 0],
    ];
    expect(doc.variants.map((v) => v.name)).toEqual(cases.map(([name]) => name));
    for (const [name, strategy, alpha, beta] of cases) {
      const got = doc.variants.find((v) => v.name === name)!;
      const want = expected(strategy, alpha, beta);
      expect({ name, events: got.events, hr: got.hr, ndcg: got.ndcg, mrr: got.mrr, coverage: got.coverage }).toEqual({
        name,
        events: want.events,
        hr: want.hr,
        ndcg: want.ndcg,
        mrr: want.mrr,
        coverage: want.coverage,
      });
      // intra-list similarity sums cosines computed in another order: equal to rounding
      expect(got.ils).toBeCloseTo(want.ils, 10);
    }
    expect(doc.counts.scored).toBe(doc.variants[0]!.events);
    expect(doc.counts.scored).toBeGreaterThan(2000);
  }, 300_000);

  it('equals an independent brute-force computation for multi (interests kept by the fold, lists merged by quota), exactly', async () => {
    const doc = await evaluate('--strategies', 'multi', '--alpha', '0.3', '--beta', '0.5', '--interests', '1,3', '--threshold', '0.4', '--half-life', '20000', '--k', '10');
    const lines = (await readFile(path.join(dir, 'items.jsonl'), 'utf8')).trim().split('\n');
    const items = lines.map((l) => JSON.parse(l) as { id: string; vector: number[] }).map((it) => ({ id: it.id, vector: Float32Array.from(it.vector) }));
    const events = [...activity.events()];
    expect(doc.variants.map((v) => v.name)).toEqual(['multi(α=0.3,β=0.5,k=1,τ=0.4,h=20s)', 'multi(α=0.3,β=0.5,k=3,τ=0.4,h=20s)']);
    for (const [i, k] of [1, 3].entries()) {
      const want = bruteForceEvaluation(items, events, { strategy: 'multi', k: 10, alpha: 0.3, beta: 0.5, recentViews: config.recentViews, seenCap: config.seenCap, multi: { k, threshold: 0.4, halfLifeMs: 20_000 } });
      const got = doc.variants[i]!;
      expect({ events: got.events, hr: got.hr, ndcg: got.ndcg, mrr: got.mrr, coverage: got.coverage }).toEqual({ events: want.events, hr: want.hr, ndcg: want.ndcg, mrr: want.mrr, coverage: want.coverage });
      expect(got.ils).toBeCloseTo(want.ils, 10);
    }
    // Three interests answer differently from one (the check would be empty otherwise).
    expect(doc.variants[1]!.mrr).not.toBe(doc.variants[0]!.mrr);
  }, 300_000);

  it('--ann ranks with the embedded HNSW index: the same views, HR@10 close to exact, MRR cut at the depth', async () => {
    const exact = (await evaluate('--strategies', 'ema,popularity', '--k', '10')).variants;
    const ann = (await evaluate('--strategies', 'ema,popularity', '--k', '10', '--ann', '--ann-depth', '50')).variants;
    expect(ann.map((v) => v.events)).toEqual(exact.map((v) => v.events));
    // HNSW is approximate: close, and never better than exact on MRR beyond rounding (ranks past 50 count 0)
    expect(Math.abs(ann[0]!.hr - exact[0]!.hr)).toBeLessThanOrEqual(0.01);
    expect(ann[0]!.mrr).toBeLessThanOrEqual(exact[0]!.mrr + 0.005);
    expect(ann[0]!.mrr).toBeGreaterThan(0);
    // popularity ranks by a bias, not a vector: it stays exact
    expect(ann[1]).toEqual(exact[1]);
  }, 300_000);

  it('refuses bad flags with a message naming the flag', async () => {
    const err = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      expect(await runEvaluate(['--items', 'x', '--events', 'y', '--alpha', '0.1,abc'], config, logger)).toBe(2);
      expect(err.mock.calls[0]![0]).toContain('--alpha: a comma list of numbers, got "0.1,abc"');
      expect(await runEvaluate(['--items', 'x', '--events', 'y', '--strategies', 'ema,magic'], config, logger)).toBe(2);
      expect(err.mock.calls[1]![0]).toContain('--strategies: "magic" is not one of');
      expect(await runEvaluate(['--items', 'x'], config, logger)).toBe(2);
      expect(err.mock.calls[2]![0]).toContain('give exactly one of --events FILE and --topic');
    } finally {
      err.mockRestore();
    }
  });
});
