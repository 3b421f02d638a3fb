/** Capped, ordered id lists for the fold: recently seen and disliked items, and the event-id de-duplication window. */
import { fnv1a32 } from './hash.js';

/**
 * Lookups in one batch after which indexing a list pays off. Scanning 1,000 flat 16-character
 * strings costs about 2-3 µs; building a Map of them about 40 µs, so a user with a handful of events
 * per batch (the common case) is cheaper to scan, and a long batch of one user is cheaper to index.
 */
const INDEX_AFTER = 16;

/**
 * A number per id (32-bit FNV-1a of its UTF-16 code units, cut to 30 bits so V8 stores it as a small
 * integer), kept position by position next to the id lists the fold makes. Finding an id by
 * comparing strings touches every string of the list, each a cache miss once a few hundred users'
 * lists are in play; its key is found by scanning one contiguous array of small integers, and only a
 * key that matches has its string compared.
 */
export function idKey(id: string): number {
  return fnv1a32(id) & 0x3fffffff;
}

/**
 * The keys of one list of a user's state, kept up to date in place by the folds that edit it; for a
 * caller that folds the same user's state again and again (the replay of `evaluate`, one event at a
 * time), so that neither a lookup nor a copy of the keys is paid per event. Keys that describe
 * another list than the one folded (a fold threw half-way, or the state came from elsewhere) are
 * rebuilt from it. Any function of the id will do as the key (the replay uses the item's catalogue
 * position, which also gives it the exclusion marks); an id is always confirmed by its string.
 */
export class ListKeys {
  private list: readonly string[] | null = null;
  private keys: number[] = [];

  constructor(readonly keyOf: (id: string) => number = idKey) {}

  /** The keys of `list`, if they are the ones kept (read-only: the next fold edits them). */
  of(list: readonly string[]): readonly number[] | undefined {
    return this.list === list ? this.keys : undefined;
  }

  /** The keys of `list`, which the caller edits in place: they describe no list until `set`. */
  edit(list: readonly string[]): number[] {
    if (this.list !== list) this.keys = list.map(this.keyOf);
    this.list = null;
    return this.keys;
  }

  set(list: readonly string[], keys: number[]): void {
    this.list = list;
    this.keys = keys;
  }
}

/**
 * The keys of a state's seen and disliked lists (by `itemKey`) and of its event-id window (by
 * idKey); see ListKeys.
 */
export class StateKeys {
  readonly seen: ListKeys;
  readonly disliked: ListKeys;
  readonly eventIds = new ListKeys();

  constructor(itemKey: (id: string) => number = idKey) {
    this.seen = new ListKeys(itemKey);
    this.disliked = new ListKeys(itemKey);
  }
}

/** The first position at or after `from` whose key is `key` and whose id is `id`, or −1. */
function keyedIndexOf(at: (i: number) => string, keys: readonly number[], id: string, key: number, from: number): number {
  for (let i = keys.indexOf(key, from); i !== -1; i = keys.indexOf(key, i + 1)) if (at(i) === id) return i;
  return -1;
}

/**
 * Distinct ids, oldest first; touching an id moves it to the end. The first touches in a batch edit
 * a copy of the array; after INDEX_AFTER of them a Set makes each touch O(1). With `index`, an id is
 * found by its key.
 */
export class RecencySet {
  private list: readonly string[];
  /** The keys of `list` while `index` is being kept. */
  private keys: number[] | undefined;
  private ids: Set<string> | null = null;
  private touches = 0;

  constructor(
    initial: readonly string[],
    private readonly cap: number,
    private readonly index?: ListKeys,
  ) {
    this.list = initial;
  }

  touch(id: string): void {
    if (this.ids === null && this.touches++ < INDEX_AFTER) {
      this.moveToEnd(id);
      return;
    }
    this.keys = undefined;
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
    this.keys = this.index === undefined ? undefined : this.index.edit(this.list);
    this.ids = null;
  }

  toArray(): readonly string[] {
    if (this.ids !== null) return [...this.ids];
    if (this.keys !== undefined) this.index!.set(this.list, this.keys);
    return this.list;
  }

  /** `id` moved to (or appended at) the end, keeping the last `cap` entries. */
  private moveToEnd(id: string): void {
    if (this.cap <= 0) {
      this.clear();
      return;
    }
    const list = this.list;
    if (this.index !== undefined) this.keys ??= this.index.edit(list);
    const keys = this.keys;
    const key = keys === undefined ? 0 : this.index!.keyOf(id);
    const at = keys === undefined ? list.indexOf(id) : keyedIndexOf((i) => list[i]!, keys, id, key, 0);
    const drop = Math.max(0, list.length - (at === -1 ? 0 : 1) + 1 - this.cap);
    const start = at !== -1 && at < drop ? drop + 1 : drop;
    this.list = movedToEnd(list, at, start, id);
    if (keys === undefined) return;
    if (at >= start) keys.splice(at, 1);
    if (start > 0) keys.splice(0, start);
    keys.push(key);
  }
}

/**
 * The last `cap` event-id hashes as a view over `initial ++ added`. The first lookups in a batch
 * scan the window (by key, with `index`); after INDEX_AFTER of them a count per hash makes each
 * lookup one Map access.
 */
export class DedupeWindow {
  private readonly added: string[] = [];
  /** With `index`: the keys of `initial ++ added`, from the first lookup or addition on. */
  private keys: number[] | undefined;
  private start = 0;
  private counts: Map<string, number> | null = null;
  private lookups = 0;
  /** The last hash looked up and its key: `add` follows `has` with the same hash. */
  private keyed = '';
  private key = 0;

  constructor(
    private readonly initial: readonly string[],
    private readonly cap: number,
    private readonly index?: ListKeys,
  ) {}

  has(hash: string): boolean {
    if (this.counts === null && this.lookups++ < INDEX_AFTER) return this.scan(hash);
    this.counts ??= this.buildCounts();
    return this.counts.has(hash);
  }

  add(hash: string): void {
    this.added.push(hash);
    this.editedKeys()?.push(this.keyOf(hash));
    this.count(hash, 1);
    const end = this.initial.length + this.added.length;
    for (; this.start < end - Math.max(0, this.cap); this.start++) this.count(this.at(this.start), -1);
  }

  toArray(): readonly string[] {
    const list = this.added.length === 0 ? this.initial : windowOf(this.initial, this.added, this.start);
    const keys = this.keys;
    if (keys !== undefined) {
      if (this.start > 0) keys.splice(0, this.start);
      this.index!.set(list, keys);
    }
    return list;
  }

  private scan(hash: string): boolean {
    const keys = this.editedKeys();
    if (keys !== undefined) return keyedIndexOf((i) => this.at(i), keys, hash, this.keyOf(hash), this.start) !== -1;
    return this.initial.indexOf(hash, this.start) !== -1 || this.added.indexOf(hash, Math.max(0, this.start - this.initial.length)) !== -1;
  }

  private editedKeys(): number[] | undefined {
    if (this.index !== undefined) this.keys ??= this.index.edit(this.initial);
    return this.keys;
  }

  private keyOf(hash: string): number {
    if (hash !== this.keyed) {
      this.keyed = hash;
      this.key = this.index!.keyOf(hash);
    }
    return this.key;
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

/** `initial ++ added` from position `start` on (`start` < initial.length + added.length). */
function windowOf<T>(initial: readonly T[], added: readonly T[], start: number): T[] {
  if (start >= initial.length) return added.slice(start - initial.length);
  // One event folded (the replay): one copy of the window's size; concat costs about three times as much.
  if (added.length === 1) return movedToEnd(initial, -1, start, added[0]!);
  return start === 0 ? initial.concat(added) : initial.slice(start).concat(added);
}

/**
 * `list` without position `at` (−1: none) and without its entries before `start` (the oldest, dropped
 * to keep the cap), then `value`. A slice that `value` is then pushed onto reallocates it, so the
 * copy is made one longer than the part kept and the extra entry spliced out in place (or, with
 * nothing to remove, made by toSpliced at its final size): about a third of a concat's time, a sixth
 * of a loop's, for lists of a few hundred.
 */
function movedToEnd<T>(list: readonly T[], at: number, start: number, value: T): T[] {
  if (at >= start) {
    const next = list.slice(start);
    next.splice(at - start, 1);
    next.push(value);
    return next;
  }
  if (start === 0) return list.toSpliced(list.length, 0, value);
  const next = list.slice(start - 1);
  next.splice(0, 1);
  next.push(value);
  return next;
}

/** `list` with `id` appended, keeping the last `cap` entries (oldest dropped). */
export function appendCapped(list: readonly string[], id: string, cap: number): readonly string[] {
  if (cap <= 0) return [];
  const next = list.slice(Math.max(0, list.length + 1 - cap));
  next.push(id);
  return next;
}
