/**
 * A workload for `strategy=multi` (docs/quality.md): the catalogue of `generate` and users who each
 * keep two tastes (two clusters) at once, every view drawn from one of them (a per-user share
 * between 0.3 and 0.7), and from an item of that cluster with a popularity skew (1/rank^0.8).
 * Views only, 10 per second of simulated time.
 *
 *   node --import tsx bench/two-tastes.ts --items w1/items.jsonl --out w2/events.jsonl [--users 200] [--events 10000] [--seed 16]
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { SeededRandom } from '../services/workload/catalogue.js';

const { values } = parseArgs({
  options: { items: { type: 'string' }, out: { type: 'string' }, users: { type: 'string', default: '200' }, events: { type: 'string', default: '10000' }, seed: { type: 'string', default: '16' } },
});
if (values.items === undefined || values.out === undefined) throw new Error('--items and --out are required');
const byCluster = new Map<number, string[]>();
for (const line of readFileSync(values.items, 'utf8').split('\n')) {
  if (line.trim() === '') continue;
  const item = JSON.parse(line) as { id: string; payload: { cluster: number } };
  byCluster.set(item.payload.cluster, [...(byCluster.get(item.payload.cluster) ?? []), item.id]);
}
const clusters = [...byCluster.keys()].sort((a, b) => a - b);
const rand = new SeededRandom(Number(values.seed), 'two-tastes');
const users = Array.from({ length: Number(values.users) }, (_, u) => {
  const a = clusters[rand.int(clusters.length)]!;
  const others = clusters.filter((c) => c !== a);
  return { userId: `user-${String(u).padStart(4, '0')}`, tastes: [a, others[rand.int(others.length)]!], share: 0.3 + 0.4 * rand.next() };
});
function pick(cluster: number): string {
  const items = byCluster.get(cluster)!;
  const weights = items.map((_, i) => 1 / (i + 1) ** 0.8);
  let x = rand.next() * weights.reduce((s, w) => s + w, 0);
  for (let i = 0; i < items.length; i++) if ((x -= weights[i]!) < 0) return items[i]!;
  return items.at(-1)!;
}
const start = Date.UTC(2026, 0, 1);
const lines = Array.from({ length: Number(values.events) }, (_, n) => {
  const u = users[rand.int(users.length)]!;
  const cluster = rand.next() < u.share ? u.tastes[0]! : u.tastes[1]!;
  return JSON.stringify({ eventId: `e${n}`, userId: u.userId, itemId: pick(cluster), type: 'view', occurredAt: start + n * 100 });
});
writeFileSync(values.out, `${lines.join('\n')}\n`);
console.log(`wrote ${lines.length} events of ${users.length} two-taste users to ${values.out}`);
