/** Capped, ordered id lists for the fold: recently seen and disliked items, and the event-id de-duplication window. */

/**
 * Lookups in one batch after which indexing a list pays off. Scanning 1,000 flat 16-character
 * strings costs about 2-3 µs; building a Map of them about 40 µs, so a user with a handful of events
 * per batch (the common case) is cheaper to scan, and a long batch of one user is cheaper to index.
 */
const INDEX_AFTER = 16;

/**
 * Distinct ids, oldest first; touching an id moves it to the end. The first touches in a batch edit
 * a copy of the array; after INDEX_AFTER of them a Set makes each touch O(1).
 */
export class RecencySet {
  private list: readonly string[];
  private ids: Set<string> | null = null;
  private touches = 0;

  constructor(
    initial: readonly string[],
    private readonly cap: number,
  ) {
    this.list = initial;
  }

  touch(id: string): void {
    if (this.ids === null && this.touches++ < INDEX_AFTER) {
      this.list = moveToEnd(this.list, id, this.cap);
      return;
    }
    const ids = (this.ids ??= new Set(this.list));
    ids.delete(id);
    ids.add(id);
    for (const oldest of ids) {
      if (ids.size <= this.cap) break;
      ids.delete(oldest);
    }
  }

  clear(): void {
    this.list = [];
    this.ids = null;
  }

  toArray(): readonly string[] {
    return this.ids === null ? this.list : [...this.ids];
  }
}

/**
 * The last `cap` event-id hashes as a view over `initial ++ added`. The first lookups in a batch
 * scan the window; after INDEX_AFTER of them a count per hash makes each lookup one Map access.
 */
export class DedupeWindow {
  private readonly added: string[] = [];
  private start = 0;
  private counts: Map<string, number> | null = null;
  private lookups = 0;

  constructor(
    private readonly initial: readonly string[],
    private readonly cap: number,
  ) {}

  has(hash: string): boolean {
    if (this.counts === null && this.lookups++ < INDEX_AFTER) return this.scan(hash);
    this.counts ??= this.buildCounts();
    return this.counts.has(hash);
  }

  add(hash: string): void {
    this.added.push(hash);
    this.count(hash, 1);
    const end = this.initial.length + this.added.length;
    for (; this.start < end - Math.max(0, this.cap); this.start++) this.count(this.at(this.start), -1);
  }

  toArray(): readonly string[] {
    if (this.added.length === 0) return this.initial;
    return this.initial.slice(this.start).concat(this.added.slice(Math.max(0, this.start - this.initial.length)));
  }

  private scan(hash: string): boolean {
    return this.initial.indexOf(hash, this.start) !== -1 || this.added.indexOf(hash, Math.max(0, this.start - this.initial.length)) !== -1;
  }

  private buildCounts(): Map<string, number> {
    this.counts = new Map();
    const end = this.initial.length + this.added.length;
    for (let i = this.start; i < end; i++) this.count(this.at(i), 1);
    return this.counts;
  }

  private count(hash: string, delta: number): void {
    if (this.counts === null) return;
    const n = (this.counts.get(hash) ?? 0) + delta;
    if (n <= 0) this.counts.delete(hash);
    else this.counts.set(hash, n);
  }

  private at(i: number): string {
    return i < this.initial.length ? this.initial[i]! : this.added[i - this.initial.length]!;
  }
}

/** `list` without `id`, then `id` appended, keeping the last `cap` entries; one copy, made in one pass. */
function moveToEnd(list: readonly string[], id: string, cap: number): readonly string[] {
  if (cap <= 0) return [];
  const at = list.indexOf(id);
  const others = list.length - (at === -1 ? 0 : 1);
  let drop = Math.max(0, others + 1 - cap);
  const next: string[] = [];
  for (let j = 0; j < list.length; j++) {
    if (j === at) continue;
    if (drop > 0) drop--;
    else next.push(list[j]!);
  }
  next.push(id);
  return next;
}

/** `list` with `id` appended, keeping the last `cap` entries (oldest dropped). */
export function appendCapped(list: readonly string[], id: string, cap: number): readonly string[] {
  if (cap <= 0) return [];
  const next = list.slice(Math.max(0, list.length + 1 - cap));
  next.push(id);
  return next;
}
