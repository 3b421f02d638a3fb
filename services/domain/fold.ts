/**
 * The fold: how one user's interaction events become their interest state (the rules of the recommended
 * design, ../shared/design/architecture.md "The fold", which lives outside this repository: the code
 * below is their reference here).
 * Pure functions; ingest and replay run exactly this code, so replaying a topic rebuilds the same state.
 */
import { InterestStreamError } from './errors.js';
import { eventIdHash } from './event-id.js';
import { isNewer } from './watermark.js';
import type { FoldParams, InteractionEvent, UserState, Watermark } from './types.js';

export { compareWatermark, isNewer } from './watermark.js';
import { DedupeWindow, RecencySet, appendCapped, type StateKeys } from './recent-ids.js';
import { dislikeInterests, interestEvent, viewInterests, type Interest } from './multi-interest.js';
import { assertItemVector, l2Norm, MIN_NORM, normalize, normalizedCombination } from './vector.js';

/** What happened to one event. `degenerate`: counted, but the vector update would have collapsed to ~0 and was skipped. */
export type FoldOutcome = 'applied' | 'duplicate' | 'stale' | 'degenerate';

/** One event with its item vector (null when the event names no item, e.g. ERASE) and its log position. */
export interface FoldInput {
  readonly event: InteractionEvent;
  readonly item: Float32Array | null;
  readonly watermark: Watermark;
}

/** The state after one event, and what the event did. */
export interface FoldStep {
  readonly state: UserState;
  readonly outcome: FoldOutcome;
}

/** The state after a user's batch, and one outcome per input, in order. */
export interface FoldBatch {
  readonly state: UserState;
  readonly outcomes: FoldOutcome[];
}

/** The state of a user never seen before. */
export function emptyUserState(userId: string): UserState {
  return {
    userId,
    vector: null,
    interests: [],
    recentViews: [],
    seen: [],
    disliked: [],
    recentEventIds: [],
    eventCount: 0,
    lastEventAt: 0,
    degenerateUpdates: 0,
    erased: false,
    watermark: null,
  };
}

/**
 * Folds one event into a state. Never mutates `state`; returns it unchanged (same object) when the
 * event is stale. Throws InterestStreamError — INVALID_EVENT, UNKNOWN_EVENT_TYPE, INVALID_VECTOR,
 * DIMENSION_MISMATCH — for an event that must go to the DLQ; the state is then untouched.
 *
 * `keys`: a caller that folds the same user's state event after event (the replay) passes the same
 * StateKeys every time; the fold then finds ids in the seen and disliked lists and the event-id
 * window by their keys, kept up to date in place, instead of comparing every string. The result is
 * the same with or without.
 */
export function foldEvent(state: UserState, input: FoldInput, params: FoldParams, keys?: StateKeys): FoldStep {
  const fold = new UserFold(state, params, keys);
  const outcome = fold.step(input);
  return { state: fold.result(), outcome };
}

/**
 * Folds a user's events in order; gives exactly the state that calling `foldEvent` once per event
 * would, but builds the de-duplication index and exclusion lists once per batch instead of per event.
 *
 * On an invalid event it throws that event's InterestStreamError with `details.eventIndex` added, and
 * returns nothing: the caller dead-letters `inputs[eventIndex]` and folds the batch again without it.
 */
export function foldEvents(state: UserState, inputs: readonly FoldInput[], params: FoldParams): FoldBatch {
  const fold = new UserFold(state, params);
  const outcomes: FoldOutcome[] = [];
  for (let i = 0; i < inputs.length; i++) {
    try {
      outcomes.push(fold.step(inputs[i]!));
    } catch (e) {
      throw e instanceof InterestStreamError
        ? new InterestStreamError(e.code, e.message, { cause: e, details: { ...e.details, eventIndex: i } })
        : e;
    }
  }
  return { state: fold.result(), outcomes };
}

/** Mutable working copy of one user's state for the length of a batch; `result()` freezes it back into a UserState. */
class UserFold {
  private vector: Float32Array | null;
  private interests: readonly Interest[];
  private recentViews: readonly string[];
  private readonly seen: RecencySet;
  private readonly disliked: RecencySet;
  private eventIds: DedupeWindow;
  private eventCount: number;
  private lastEventAt: number;
  private degenerateUpdates: number;
  private erased: boolean;
  private watermark: Watermark | null;
  private changed = false;
  /** False while `vector` is the caller's array, which must never be written. */
  private ownsVector = false;

  constructor(
    private readonly initial: UserState,
    private readonly params: FoldParams,
    private readonly keys?: StateKeys,
  ) {
    this.vector = initial.vector;
    this.interests = initial.interests;
    this.recentViews = initial.recentViews;
    this.seen = new RecencySet(initial.seen, params.seenCap, keys?.seen);
    this.disliked = new RecencySet(initial.disliked, params.dislikedCap, keys?.disliked);
    this.eventIds = new DedupeWindow(initial.recentEventIds, params.dedupeWindow, keys?.eventIds);
    this.eventCount = initial.eventCount;
    this.lastEventAt = initial.lastEventAt;
    this.degenerateUpdates = initial.degenerateUpdates;
    this.erased = initial.erased;
    this.watermark = initial.watermark;
  }

  step({ event, item, watermark }: FoldInput): FoldOutcome {
    if (event.userId !== this.initial.userId) {
      throw invalidEvent(event, `belongs to user "${event.userId}", not "${this.initial.userId}"`);
    }
    if (!isNewer(watermark, this.watermark)) return 'stale';
    const hash = eventIdHash(event.eventId);
    // A duplicate still moves the watermark so that the same position is not examined again.
    const outcome = this.eventIds.has(hash) ? 'duplicate' : this.apply(event, item);
    if (outcome !== 'duplicate') this.eventIds.add(hash);
    this.watermark = watermark;
    this.changed = true;
    return outcome;
  }

  result(): UserState {
    if (!this.changed) return this.initial;
    return {
      userId: this.initial.userId,
      vector: this.vector,
      interests: this.interests,
      recentViews: this.recentViews,
      seen: this.seen.toArray(),
      disliked: this.disliked.toArray(),
      recentEventIds: this.eventIds.toArray(),
      eventCount: this.eventCount,
      lastEventAt: this.lastEventAt,
      degenerateUpdates: this.degenerateUpdates,
      erased: this.erased,
      watermark: this.watermark,
    };
  }

  /**
   * Validates before changing anything, so a throw leaves this fold as it was. ERASE is taken before
   * the weight check: an erasure must never be dead-lettered over a field it does not use.
   */
  private apply(event: InteractionEvent, item: Float32Array | null): FoldOutcome {
    if (event.type === 'ERASE') return this.erase(event.occurredAt);
    // A tombstone's lastEventAt is its erasure's time. An event stamped before it (a redelivery, or
    // one a CRC32-partitioning producer put on another partition, where watermarks cannot order it)
    // happened before the user asked to be forgotten: it must never bring them back.
    if (this.erased && event.occurredAt < this.lastEventAt) return 'stale';
    if (event.type !== 'VIEW' && event.type !== 'DISLIKE') {
      throw new InterestStreamError('UNKNOWN_EVENT_TYPE', `event "${event.eventId}" has unknown type "${String(event.type)}"`, {
        details: { eventId: event.eventId, type: String(event.type) },
      });
    }
    if (!(Number.isFinite(event.weight) && event.weight > 0)) {
      throw invalidEvent(event, `has weight ${event.weight}; it must be finite and > 0`);
    }
    if (item === null) throw invalidEvent(event, `has no vector for item "${event.itemId}"`);
    const itemNorm = checkedItemNorm(item, this.params.dimension, event.itemId);
    this.assertStoredDimension();
    this.erased = false;
    const moved = event.type === 'VIEW' ? this.view(event, item, itemNorm) : this.dislike(event, item, itemNorm);
    this.eventCount += 1;
    // The latest event time, not the last one folded: an event that arrives late must not move the
    // user's snapshot window (event time) backwards.
    this.lastEventAt = Math.max(this.lastEventAt, event.occurredAt);
    if (moved) return 'applied';
    this.degenerateUpdates += 1;
    return 'degenerate';
  }

  /**
   * Catalogue vectors need not be unit length, so the item is normalised first: an item's pull on
   * the interest vector must depend on alpha and the event weight, not on its embedding's length.
   */
  private view(event: InteractionEvent, item: Float32Array, itemNorm: number): boolean {
    this.recentViews = appendCapped(this.recentViews, event.itemId, this.params.recentViews);
    this.seen.touch(event.itemId);
    const multi = this.params.multi;
    if (multi !== undefined) this.interests = viewInterests(this.interests, interestEvent(item, itemNorm, event.weight, event.occurredAt), this.params.alpha, multi);
    if (this.vector === null) return this.replaceVector(normalize(item, 0));
    const a = Math.min(1, Math.max(0, this.params.alpha * event.weight));
    return this.blend(item, a / itemNorm, this.vector, 1 - a);
  }

  /** With no vector yet there is nothing to push away from; the dislike still excludes the item. */
  private dislike(event: InteractionEvent, item: Float32Array, itemNorm: number): boolean {
    this.disliked.touch(event.itemId);
    const multi = this.params.multi;
    if (multi !== undefined) this.interests = dislikeInterests(this.interests, interestEvent(item, itemNorm, event.weight, event.occurredAt), this.params.beta, multi);
    if (this.vector === null) return true;
    const b = this.params.beta * event.weight;
    return this.blend(this.vector, 1, item, -b / itemNorm);
  }

  /**
   * vector = normalize(wx·x + wy·y), or false with the previous vector kept when that collapses to
   * ~0 (seed-errata item 6). Once this fold has allocated a vector of its own, later events of the
   * batch overwrite it in place: nobody else can see it until result().
   */
  private blend(x: Float32Array, wx: number, y: Float32Array, wy: number): boolean {
    const out = this.ownsVector ? (this.vector ?? undefined) : undefined;
    return this.replaceVector(normalizedCombination(x, wx, y, wy, MIN_NORM, out));
  }

  private replaceVector(next: Float32Array | null): boolean {
    if (next === null) return false;
    this.vector = next;
    this.ownsVector = true;
    return true;
  }

  /**
   * The tombstone is the erase marker of docs/privacy.md: the user id, the erasure's position (the
   * watermark) and time, and the hash of the ERASE's own id (the erasure id, so a redelivered ERASE
   * cannot wipe what the user did after it) — none of the user's event ids. A redelivered pre-erase
   * event is still refused while the user is erased: on the erasure's partition its offset is behind
   * the watermark (stale), on any other its time is before the erasure's (the check in apply).
   */
  private erase(at: number): FoldOutcome {
    this.eventIds = new DedupeWindow([], this.params.dedupeWindow, this.keys?.eventIds);
    this.vector = null;
    this.interests = [];
    this.recentViews = [];
    this.seen.clear();
    this.disliked.clear();
    this.eventCount = 0;
    this.lastEventAt = at;
    this.degenerateUpdates = 0;
    this.erased = true;
    return 'applied';
  }

  private assertStoredDimension(): void {
    const stored = this.vector?.length ?? this.params.dimension;
    if (stored !== this.params.dimension) {
      throw new InterestStreamError(
        'DIMENSION_MISMATCH',
        `user "${this.initial.userId}" has a stored vector of dimension ${stored}, expected ${this.params.dimension}; replay into a new generation`,
        { details: { userId: this.initial.userId, expected: this.params.dimension, actual: stored } },
      );
    }
  }
}

/**
 * Item vectors are shared and read-only (ingest's item cache hands the same array to every event of
 * an item, and the fold never writes an input), so each array is validated and measured once, not
 * once per event: two passes over d floats saved per event.
 */
const checkedItems = new WeakMap<Float32Array, { readonly dimension: number; readonly norm: number }>();

function checkedItemNorm(item: Float32Array, dimension: number, itemId: string): number {
  const known = checkedItems.get(item);
  if (known !== undefined && known.dimension === dimension) return known.norm;
  assertItemVector(item, dimension, itemId);
  const norm = l2Norm(item);
  checkedItems.set(item, { dimension, norm });
  return norm;
}

function invalidEvent(event: InteractionEvent, problem: string): InterestStreamError {
  return new InterestStreamError('INVALID_EVENT', `event "${event.eventId}" ${problem}`, {
    details: { eventId: event.eventId, userId: event.userId, type: String(event.type) },
  });
}
