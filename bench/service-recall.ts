/**
 * recall@10 of the running query service's answers (HTTP, default strategy: nearest neighbours of
 * the user's vector, seen and disliked items excluded) against a brute force over the same
 * catalogue with the same exclusions. Used where an in-process index build beside the service's
 * would double the run (1M items): one pass over the catalogue scores every probed user at once.
 */
import type { Catalogue } from '../services/workload/catalogue.js';
import type { UserState } from '../services/domain/types.js';
import { SortedTop } from '../services/domain/evaluation/top-k.js';
import { dot } from '../services/domain/vector.js';

const LIMIT = 10;

async function answer(httpPort: number, userId: string): Promise<string[]> {
  const res = await fetch(`http://127.0.0.1:${httpPort}/v1/users/${userId}/recommendations?limit=${LIMIT}`);
  const body = (await res.json()) as { items?: Array<{ id: string }> };
  if (!res.ok || !Array.isArray(body.items)) throw new Error(`recommendations for ${userId}: HTTP ${res.status}`);
  return body.items.map((i) => i.id);
}

export interface ServiceRecall {
  readonly recall: number;
  readonly users: number;
  readonly bruteForceSeconds: number;
}

/** Probes the first `probes` users that have a vector. */
export async function serviceRecall(httpPort: number, catalogue: Catalogue, states: readonly UserState[], probes = 100): Promise<ServiceRecall> {
  const users = states.filter((u): u is UserState & { vector: Float32Array } => u.vector !== null).slice(0, probes);
  const answers: string[][] = [];
  for (const u of users) answers.push(await answer(httpPort, u.userId));
  const started = performance.now();
  const excluded = users.map((u) => new Set([...u.seen, ...u.disliked]));
  const tops = users.map(() => {
    const top = new SortedTop();
    top.reset(LIMIT);
    return top;
  });
  let index = 0;
  for (const item of catalogue.items()) {
    for (let u = 0; u < users.length; u++) {
      if (!excluded[u]!.has(item.id)) tops[u]!.offer(index, dot(item.vector, users[u]!.vector));
    }
    index++;
  }
  let found = 0;
  users.forEach((_, u) => {
    const got = new Set(answers[u]);
    found += [...tops[u]!.result().top].filter((i) => got.has(catalogue.itemId(i))).length;
  });
  return { recall: found / (users.length * LIMIT), users: users.length, bruteForceSeconds: (performance.now() - started) / 1000 };
}
