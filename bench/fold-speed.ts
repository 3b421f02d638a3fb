/**
 * How fast the fold alone runs, on both of its paths: `foldEvent` once per event (the replay of
 * `evaluate`) and `foldEvents` once per user per fetch (ingest: the stream cut into fetches of
 * --fetch events, each user's events of a fetch folded as one batch). CPU microseconds per event.
 *
 *   node --import tsx bench/fold-speed.ts [--users 100] [--events 20000] [--fetch 1000]
 *     [--rounds 5] [--baseline DIR]
 *
 * With --baseline DIR (another checkout's root holding services/, as for bench/evaluate-speed.ts)
 * both trees' folds run the same rounds alternately in this process, and their final states must be
 * identical or the run fails.
 */
import { isDeepStrictEqual, parseArgs } from 'node:util';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import * as fold from '../services/domain/fold.js';
import type { FoldInput } from '../services/domain/fold.js';
import { StateKeys } from '../services/domain/recent-ids.js';
import { DEFAULT_FOLD_PARAMS, type FoldParams, type UserState } from '../services/domain/types.js';
import { createActivity } from '../services/workload/activity.js';
import { createCatalogue } from '../services/workload/catalogue.js';

const { values } = parseArgs({
  options: {
    users: { type: 'string', default: '100' },
    events: { type: 'string', default: '20000' },
    fetch: { type: 'string', default: '1000' },
    rounds: { type: 'string', default: '5' },
    baseline: { type: 'string' },
  },
});

type Fold = Pick<typeof fold, 'emptyUserState' | 'foldEvent' | 'foldEvents'>;
type Path = (impl: Fold, inputs: readonly FoldInput[]) => Map<string, UserState>;

const dimension = 64;
const params: FoldParams = { ...DEFAULT_FOLD_PARAMS, dimension };
const catalogue = createCatalogue({ items: 2000, dimension, clusters: 8, seed: 7 });
const vectors = new Map([...catalogue.items()].map((item) => [item.id, item.vector]));
const inputs: FoldInput[] = [...createActivity(catalogue, { users: Number(values.users), events: Number(values.events), seed: 7 }).events()].map((event, i) => ({
  event,
  item: vectors.get(event.itemId) ?? null,
  watermark: { partition: 0, offset: String(i) },
}));

/** The replay's path: one `foldEvent` per event, with each user's StateKeys (a baseline without them ignores the argument). */
const perEvent: Path = (impl, events) => {
  const states = new Map<string, UserState>();
  const keys = new Map<string, StateKeys>();
  for (const input of events) {
    const userId = input.event.userId;
    let userKeys = keys.get(userId);
    if (userKeys === undefined) keys.set(userId, (userKeys = new StateKeys()));
    states.set(userId, impl.foldEvent(states.get(userId) ?? impl.emptyUserState(userId), input, params, userKeys).state);
  }
  return states;
};

/** Ingest's path: each fetch's events grouped by user, one `foldEvents` per user per fetch. */
const perFetch: Path = (impl, events) => {
  const states = new Map<string, UserState>();
  const size = Number(values.fetch);
  for (let from = 0; from < events.length; from += size) {
    const byUser = new Map<string, FoldInput[]>();
    for (const input of events.slice(from, from + size)) {
      const batch = byUser.get(input.event.userId);
      if (batch === undefined) byUser.set(input.event.userId, [input]);
      else batch.push(input);
    }
    for (const [userId, batch] of byUser) states.set(userId, impl.foldEvents(states.get(userId) ?? impl.emptyUserState(userId), batch, params).state);
  }
  return states;
};

/** CPU microseconds of one run of `run`, and its final states. */
function timed(run: Path, impl: Fold): { us: number; states: Map<string, UserState> } {
  const before = process.cpuUsage();
  const states = run(impl, inputs);
  const used = process.cpuUsage(before);
  return { us: used.user + used.system, states };
}

const sides: Array<{ label: string; impl: Fold }> = [{ label: 'this tree', impl: fold }];
if (values.baseline !== undefined) {
  const url = pathToFileURL(path.resolve(values.baseline, 'services/domain/fold.ts')).href;
  sides.unshift({ label: 'baseline', impl: (await import(url)) as Fold });
}

for (const [name, run] of [['foldEvent per event', perEvent], [`foldEvents per fetch of ${values.fetch}`, perFetch]] as const) {
  const us = sides.map(() => 0);
  let finals: Array<Map<string, UserState>> = [];
  for (let round = 0; round < Number(values.rounds); round++) {
    finals = sides.map((side, s) => {
      const r = timed(run, side.impl);
      us[s]! += r.us;
      return r.states;
    });
  }
  const perEventUs = us.map((u) => u / Number(values.rounds) / inputs.length);
  const line = sides.map((s, i) => `${s.label} ${perEventUs[i]!.toFixed(3)} µs/event`).join(', ');
  const ratio = sides.length === 2 ? `, time ×${(perEventUs[1]! / perEventUs[0]!).toFixed(2)}` : '';
  console.log(`${name}: ${inputs.length} events, ${values.users} users: ${line}${ratio}`);
  if (finals.length === 2 && !isDeepStrictEqual([...finals[0]!], [...finals[1]!])) {
    console.error(`${name}: the two trees' states differ`);
    process.exitCode = 1;
  }
}
