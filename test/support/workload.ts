import { randomUUID } from 'node:crypto';
import { randomVector, rng } from './random.js';
import type { RefEvent } from './reference-fold.js';

/** A small catalogue and a stream of events over it: mostly views, some dislikes, a few erasures. */
export function workload(opts: { seed: number; items: number; users: number; events: number; dimension: number; erase?: boolean }) {
  const rand = rng(opts.seed);
  const items = new Map<string, Float32Array>();
  for (let i = 0; i < opts.items; i++) items.set(`item-${i}`, randomVector(rand, opts.dimension));
  const ids = [...items.keys()];
  const events: RefEvent[] = [];
  for (let i = 0; i < opts.events; i++) {
    const userId = `user-${Math.floor(rand() * opts.users)}`;
    const r = rand();
    const type = opts.erase && r < 0.01 ? 'ERASE' : r < 0.85 ? 'VIEW' : 'DISLIKE';
    events.push({
      eventId: randomUUID(),
      userId,
      itemId: type === 'ERASE' ? '' : ids[Math.floor(rand() * ids.length)]!,
      type,
      weight: type === 'ERASE' ? 1 : 0.5 + rand(),
    });
  }
  return { items, events, userIds: [...new Set(events.map((e) => e.userId))] };
}
