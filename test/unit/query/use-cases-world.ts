/**
 * The query use cases over in-memory ports: one generation `g1` (Redis-shaped user states,
 * popularity, history, progress, purge) and a vector store holding its items and users collections.
 */
import { silentLogger } from '../../../services/core/logger.js';
import { usersCollection } from '../../../services/core/names.js';
import { USER_VERSION, toUserPoint } from '../../../services/core/user-record.js';
import { emptyUserState } from '../../../services/domain/fold.js';
import type { UserState } from '../../../services/domain/types.js';
import type { GenerationView } from '../../../services/query/generation-views.js';
import { ProgressWaiter } from '../../../services/query/read-your-writes.js';
import { QueryUseCases, type QueryDeps } from '../../../services/query/use-cases.js';
import { UserSource } from '../../../services/query/user-source.js';
import { MemoryErasures, MemoryUserPurge, RecordingPublisher } from '../../support/fakes/erasures.js';
import { MemoryVectorStore } from '../../support/fakes/memory-vector-store.js';
import { InMemoryPopularityStore } from '../../../services/adapters/memory/memory-popularity-store.js';
import { InMemoryUserStateStore } from '../../../services/adapters/memory/memory-user-state-store.js';
import { InMemoryHistoryStore } from '../../../services/adapters/memory/memory-history-store.js';

export const DIM = 3;
export const TOPIC = 'interactions';
export const ITEMS = 'items_g1';
/** The popularity store's clock: views recorded at NOW count 1 each, undecayed. */
export const NOW = 1_750_000_000_000;

/**
 * Hand-made catalogue: cosines with [1,0,0] are a 1, b .8, c .6, d e f 0; b·c = .96.
 * Payloads carry a genre and a price for the filters.
 */
export const CATALOGUE: Record<string, { vector: number[]; genre: string; price: number }> = {
  a: { vector: [1, 0, 0], genre: 'news', price: 10 },
  b: { vector: [0.8, 0.6, 0], genre: 'sport', price: 20 },
  c: { vector: [0.6, 0.8, 0], genre: 'news', price: 30 },
  d: { vector: [0, 1, 0], genre: 'sport', price: 40 },
  e: { vector: [0, 0.6, 0.8], genre: 'news', price: 50 },
  f: { vector: [0, 0, 1], genre: 'music', price: 60 },
};

export const vec = (...xs: number[]): Float32Array => Float32Array.from(xs);

/** A live user at partition 0, offset `offset`, with the given vector and lists. */
export function user(userId: string, fields: Partial<UserState> & { vector?: Float32Array | null } = {}, offset = 9): UserState {
  return { ...emptyUserState(userId), eventCount: 4, lastEventAt: 1_700_000_000_000, watermark: { partition: 0, offset: String(offset) }, ...fields };
}

export interface World {
  readonly useCases: QueryUseCases;
  readonly vectors: MemoryVectorStore;
  readonly states: InMemoryUserStateStore;
  readonly popularity: InMemoryPopularityStore;
  readonly history: InMemoryHistoryStore;
  readonly erasures: MemoryErasures;
  readonly purge: MemoryUserPurge;
  readonly publisher: RecordingPublisher;
  readonly view: GenerationView;
  /** What ingest's progress hash says: partition → next offset to fold. */
  readonly progress: Map<number, bigint>;
  readonly answers: Array<[string, string | null]>;
  /** Writes durable records into the generation's users collection. */
  durable(...states: UserState[]): Promise<void>;
}

export async function world(deps: Partial<QueryDeps> = {}, opts: { catalogue?: boolean; others?: GenerationView[] } = {}): Promise<World> {
  const vectors = new MemoryVectorStore();
  if (opts.catalogue !== false) {
    await vectors.ensureCollection(ITEMS, DIM);
    await vectors.upsert(
      ITEMS,
      Object.entries(CATALOGUE).map(([id, c]) => ({ id, vector: Float32Array.from(c.vector), payload: { genre: c.genre, price: c.price } })),
    );
  }
  const states = new InMemoryUserStateStore();
  const popularity = new InMemoryPopularityStore({ halfLifeMs: 3_600_000, clock: () => NOW });
  const erasures = new MemoryErasures();
  const history = new InMemoryHistoryStore(10, (userId) => erasures.marks.get(userId)?.watermark);
  const purge = new MemoryUserPurge(states, history);
  const publisher = new RecordingPublisher();
  const progress = new Map<number, bigint>();
  const view: GenerationView = {
    name: 'g1',
    itemsCollection: ITEMS,
    userStates: states,
    users: new UserSource(states, vectors, 'g1', silentLogger()),
    popularity,
    history,
    progress: new ProgressWaiter(async () => progress),
    purge,
  };
  const answers: Array<[string, string | null]> = [];
  const useCases = new QueryUseCases({
    generations: { current: async () => view, others: async () => opts.others ?? [] },
    vectors,
    publisher,
    erasures: erasures.asPort(),
    trendWindow: 1,
    logger: silentLogger(),
    readYourWrites: { topic: TOPIC, waitMs: 40 },
    onAnswer: (strategy, fallback) => answers.push([strategy, fallback]),
    ...deps,
  });
  const durable = async (...users: UserState[]) => {
    await vectors.ensureCollection(usersCollection('g1'), DIM);
    await vectors.upsertIfNewer(usersCollection('g1'), users.map((s) => toUserPoint(s, DIM, 0)), USER_VERSION);
  };
  return { useCases, vectors, states, popularity, history, erasures, purge, publisher, view, progress, answers, durable };
}
