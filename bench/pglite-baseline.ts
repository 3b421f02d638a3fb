/**
 * The origin article's approach as a baseline: one SQL `UPDATE profiles SET interest_vector =
 * l2_normalize(...)` per event, on PGlite with pgvector — corrected as seed-errata.md says
 * (items 3 and 7): `l2_normalize`, not `normalize`, and the EMA weights as constant vectors made
 * with `array_fill`, because pgvector has no scalar × vector.
 */
import { PGlite } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite/vector';
import { DEFAULT_FOLD_PARAMS } from '../services/domain/types.js';
import type { Catalogue } from '../services/workload/catalogue.js';
import type { GeneratedEvent } from '../services/workload/activity.js';

export interface PgliteOptions {
  readonly catalogue: Catalogue;
  readonly events: Iterable<GeneratedEvent>;
  readonly userIds: readonly string[];
  /** Stop after this long (from the first event) or when the events run out. */
  readonly budgetMs: number;
}

function literal(v: Float32Array): string {
  return `'[${Array.from(v).join(',')}]'`;
}

/** The per-event statements; `:d` is the dimension (a constant vector per weight, as the errata shows). */
function statements(d: number): { view: string; dislike: string } {
  const { alpha, beta } = DEFAULT_FOLD_PARAMS;
  const w = (x: number) => `array_fill(${x}::real, ARRAY[${d}])::vector`;
  return {
    // The first view sets the vector to the item, as the article's "first click" does.
    view: `UPDATE profiles p SET interest_vector = CASE WHEN p.interest_vector IS NULL THEN i.embedding
             ELSE l2_normalize(p.interest_vector * ${w(1 - alpha)} + i.embedding * ${w(alpha)}) END
           FROM items i WHERE i.id = $2 AND p.user_id = $1`,
    dislike: `UPDATE profiles p SET interest_vector = l2_normalize(p.interest_vector - i.embedding * ${w(beta)})
              FROM items i WHERE i.id = $2 AND p.user_id = $1 AND p.interest_vector IS NOT NULL`,
  };
}

async function load(pg: PGlite, catalogue: Catalogue, userIds: readonly string[]): Promise<void> {
  const d = catalogue.dimension;
  await pg.exec(`CREATE EXTENSION IF NOT EXISTS vector;
    CREATE TABLE items (id text PRIMARY KEY, embedding vector(${d}) NOT NULL);
    CREATE TABLE profiles (user_id text PRIMARY KEY, interest_vector vector(${d}));`);
  let rows: string[] = [];
  const flush = async () => {
    if (rows.length > 0) await pg.exec(`INSERT INTO items VALUES ${rows.join(',')}`);
    rows = [];
  };
  for (const item of catalogue.items()) {
    rows.push(`('${item.id}', ${literal(item.vector)})`);
    if (rows.length === 500) await flush();
  }
  await flush();
  for (let i = 0; i < userIds.length; i += 1000) {
    await pg.exec(`INSERT INTO profiles (user_id) VALUES ${userIds.slice(i, i + 1000).map((u) => `('${u}')`).join(',')}`);
  }
}

/**
 * Events applied per second by the article's per-event SQL. Returns the pgvector version too, and
 * checks one profile is unit length so that a silently wrong statement cannot pass for a fast one.
 */
export async function runPgliteBaseline(opts: PgliteOptions): Promise<{ events: number; seconds: number; pgvector: string; norm: number }> {
  const pg = await PGlite.create({ extensions: { vector } });
  try {
    await load(pg, opts.catalogue, opts.userIds);
    const sql = statements(opts.catalogue.dimension);
    let events = 0;
    const started = performance.now();
    for (const e of opts.events) {
      await pg.query(e.type === 'VIEW' ? sql.view : sql.dislike, [e.userId, e.itemId]);
      events++;
      if ((events & 63) === 0 && performance.now() - started >= opts.budgetMs) break;
    }
    const seconds = (performance.now() - started) / 1000;
    const version = await pg.query<{ extversion: string }>(`SELECT extversion FROM pg_extension WHERE extname = 'vector'`);
    const norm = await pg.query<{ n: number }>(`SELECT vector_norm(interest_vector) AS n FROM profiles WHERE interest_vector IS NOT NULL LIMIT 1`);
    return { events, seconds, pgvector: version.rows[0]?.extversion ?? '?', norm: norm.rows[0]?.n ?? Number.NaN };
  } finally {
    await pg.close();
  }
}
