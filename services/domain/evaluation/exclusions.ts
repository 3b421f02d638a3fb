/**
 * The items a user may not be recommended during one ranked view (the product's default exclusions:
 * seen and disliked), as marks over catalogue positions for the exact rankings and as ids for an
 * ANN index.
 */
import type { StateKeys } from '../recent-ids.js';
import type { UserState } from '../types.js';
import type { CatalogueIndex } from './catalogue-index.js';

export class ExclusionMarks {
  /** 1 for an excluded catalogue position. */
  readonly marks: Uint8Array;
  /** The positions marked for this ranking: marked[0 … markedCount−1] (distinct, so at most the catalogue's size). */
  private readonly marked: Int32Array;
  private markedCount = 0;
  private readonly seen: SlotCache;
  private readonly disliked: SlotCache;
  private idSet: Set<string> | undefined;
  private state: UserState | undefined;

  constructor(private readonly catalogue: CatalogueIndex) {
    this.marks = new Uint8Array(catalogue.size);
    this.marked = new Int32Array(catalogue.size);
    this.seen = new SlotCache(catalogue);
    this.disliked = new SlotCache(catalogue);
  }

  /**
   * Marks the user's seen and disliked items (those in the catalogue). `keys`: the fold's keys of the
   * state's lists, when they are catalogue positions (the replay's StateKeys) and describe this very
   * state; they are the marks as they stand, with no id looked up or compared.
   */
  mark(state: UserState, keys?: StateKeys): void {
    this.state = state;
    this.markSlots(keys?.seen.of(state.seen) ?? this.seen.slotsOf(state.userId, state.seen));
    this.markSlots(keys?.disliked.of(state.disliked) ?? this.disliked.slotsOf(state.userId, state.disliked));
  }

  /** In locals: the loop runs once per excluded item of every ranking. */
  private markSlots(slots: readonly number[]): void {
    const marks = this.marks;
    const marked = this.marked;
    let count = this.markedCount;
    for (let s = 0; s < slots.length; s++) {
      const i = slots[s]!;
      if (i >= 0 && marks[i] === 0) {
        marks[i] = 1;
        marked[count++] = i;
      }
    }
    this.markedCount = count;
  }

  /** The excluded ids, built on first use. */
  ids(): ReadonlySet<string> {
    this.idSet ??= new Set([...(this.state?.seen ?? []), ...(this.state?.disliked ?? [])]);
    return this.idSet;
  }

  clear(): void {
    const marks = this.marks;
    const marked = this.marked;
    for (let m = 0; m < this.markedCount; m++) marks[marked[m]!] = 0;
    this.markedCount = 0;
    this.idSet = undefined;
    this.state = undefined;
  }
}

/**
 * Each user's last list (seen or disliked) with the catalogue position of every id (−1: not in the
 * catalogue). Looking up every id of a few hundred per ranked view was a fifth of a replay; the fold
 * makes each list from the previous one by moving or appending one id and dropping the oldest, so
 * walking both in order carries nearly every position over, and only ids not found in order are
 * looked up. Correct for any two lists: a carried position is that of the very same id.
 */
class SlotCache {
  private readonly last = new Map<string, { list: readonly string[]; slots: number[]; spare: number[] }>();

  constructor(private readonly catalogue: CatalogueIndex) {}

  /** The positions of `list`'s ids; valid until the next call for the same user. */
  slotsOf(userId: string, list: readonly string[]): readonly number[] {
    const prev = this.last.get(userId);
    if (prev === undefined) {
      const slots = list.map((id) => this.catalogue.indexOf(id) ?? -1);
      this.last.set(userId, { list, slots, spare: [] });
      return slots;
    }
    if (prev.list === list) return prev.slots;
    // Into the user's spare array (no allocation once it has grown), then swapped in; its length is
    // only cut when the list got shorter (setting it first would make the array holey).
    const slots = prev.spare;
    if (slots.length > list.length) slots.length = list.length;
    let j = 0;
    for (let i = 0; i < list.length; i++) {
      const id = list[i]!;
      while (j < prev.list.length && prev.list[j] !== id) j++;
      slots[i] = j < prev.list.length ? prev.slots[j++]! : (this.catalogue.indexOf(id) ?? -1);
    }
    prev.spare = prev.slots;
    prev.slots = slots;
    prev.list = list;
    return slots;
  }
}
