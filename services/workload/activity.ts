/**
 * Seeded synthetic user activity over a `Catalogue`: each user starts interested in one cluster and
 * drifts to another, viewing mostly items of their current interest (popular ones more often), now
 * and then exploring, and occasionally disliking something — usually from a genre they do not care for.
 * The output is a pure function of the catalogue and the options, down to the event ids.
 */
import { createWriteStream } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { InterestStreamError } from '../domain/errors.js';
import { fmix32, SeededRandom, type Catalogue } from './catalogue.js';

export interface ActivityOptions {
  readonly users: number;
  readonly events: number;
  readonly seed: number;
  /** occurredAt of the first event, epoch ms. Default 2026-01-01T00:00:00Z: a fixed default keeps output reproducible. */
  readonly startTime?: number;
  /** Events per second over all users; above 1,000 neighbours share a millisecond. Default 10. */
  readonly eventsPerSecond?: number;
  /** Share of events (after each user's first) that are dislikes. Default 0.05. */
  readonly dislikeRate?: number;
  /** Share of views that pick an item from a random cluster instead of the current interest. Default 0.1. */
  readonly exploreRate?: number;
}

/** What a user was generated to like, for a demo to print next to their recommendations. */
export interface UserTruth {
  readonly userId: string;
  readonly startCluster: number;
  readonly startCategory: string;
  readonly endCluster: number;
  readonly endCategory: string;
  /** How many events the user has in the stream. */
  readonly events: number;
}

/** An interaction as the publisher takes it (and as `eventJson` writes it). */
export interface GeneratedEvent {
  readonly eventId: string;
  readonly userId: string;
  readonly itemId: string;
  readonly type: 'VIEW' | 'DISLIKE';
  readonly occurredAt: number;
  readonly weight: number;
}

export const DEFAULT_START_TIME = Date.UTC(2026, 0, 1);

/**
 * The drift runs over the middle half of each user's events: the first quarter is all old
 * interest and the last quarter all new, so a demo shows a settled "before" and "after".
 */
const DRIFT_FROM = 0.25;
const DRIFT_TO = 0.75;
/** Share of dislikes aimed at a cluster the user never cares for. */
const DISLIKE_OUTSIDE = 0.8;
/** Exponent of the in-cluster popularity skew: with 2, the first quarter of a cluster gets half its views. */
const POPULARITY_SKEW = 2;

/**
 * Users' interests and event counts are fixed up front (a few numbers per user); `events()` then
 * generates the stream lazily. The only array proportional to the events is the interleaving
 * schedule, 4 bytes per event.
 */
export class Activity {
  readonly users: readonly UserTruth[];
  private readonly startTime: number;
  private readonly msPerEvent: number;
  private readonly dislikeRate: number;
  private readonly exploreRate: number;

  constructor(
    private readonly catalogue: Catalogue,
    private readonly opts: ActivityOptions,
  ) {
    validateActivityOptions(opts);
    this.startTime = opts.startTime ?? DEFAULT_START_TIME;
    this.msPerEvent = 1000 / (opts.eventsPerSecond ?? 10);
    this.dislikeRate = opts.dislikeRate ?? 0.05;
    this.exploreRate = opts.exploreRate ?? 0.1;
    this.users = this.drawUsers();
  }

  /** How many events `events()` yields. */
  get eventCount(): number {
    return this.opts.events;
  }

  /** The events in time order. Each call starts again from the beginning, with the same result. */
  *events(): Generator<GeneratedEvent> {
    const rand = new SeededRandom(this.opts.seed, 'activity-events');
    const schedule = this.schedule();
    const done = new Uint32Array(this.users.length);
    const idSalt = fmix32(this.opts.seed >>> 0) ^ Math.floor(this.opts.seed / 4294967296);
    for (let i = 0; i < schedule.length; i++) {
      const u = schedule[i]!;
      const user = this.users[u]!;
      const step = done[u]!++;
      const interest = rand.next() < driftShare(step, user.events) ? user.endCluster : user.startCluster;
      // A first event that is a dislike would leave the user with no interest to push away from.
      const dislike = step > 0 && rand.next() < this.dislikeRate;
      const cluster = dislike ? this.dislikedCluster(user, interest, rand) : this.viewedCluster(interest, step, rand);
      yield {
        eventId: uuidShaped(idSalt, i),
        userId: user.userId,
        itemId: this.catalogue.itemId(this.popularMember(cluster, rand)),
        type: dislike ? 'DISLIKE' : 'VIEW',
        occurredAt: this.startTime + Math.floor(i * this.msPerEvent),
        weight: 1,
      };
    }
  }

  private viewedCluster(interest: number, step: number, rand: SeededRandom): number {
    if (step > 0 && rand.next() < this.exploreRate) return rand.int(this.catalogue.clusterCount);
    return interest;
  }

  /** Mostly a cluster that is neither the user's old nor new interest; else a letdown in the current one. */
  private dislikedCluster(user: UserTruth, interest: number, rand: SeededRandom): number {
    const k = this.catalogue.clusterCount;
    const liked = new Set([user.startCluster, user.endCluster, interest]);
    if (liked.size >= k || rand.next() >= DISLIKE_OUTSIDE) return interest;
    let c = rand.int(k - liked.size);
    for (const l of [...liked].sort((a, b) => a - b)) if (c >= l) c++;
    return c;
  }

  private popularMember(cluster: number, rand: SeededRandom): number {
    const members = this.catalogue.membersOf(cluster);
    return members[Math.floor(members.length * rand.next() ** POPULARITY_SKEW)]!;
  }

  private drawUsers(): UserTruth[] {
    const rand = new SeededRandom(this.opts.seed, 'activity-users');
    const counts = eventCounts(this.opts.users, this.opts.events, rand);
    const k = this.catalogue.clusterCount;
    const width = Math.max(4, String(this.opts.users).length);
    return Array.from(counts, (events, u) => {
      const startCluster = rand.int(k);
      const endCluster = k === 1 ? 0 : (startCluster + 1 + rand.int(k - 1)) % k;
      return {
        userId: `user-${String(u + 1).padStart(width, '0')}`,
        startCluster,
        startCategory: this.catalogue.categories[startCluster]!,
        endCluster,
        endCategory: this.catalogue.categories[endCluster]!,
        events,
      };
    });
  }

  /** Each user's events, shuffled together: a uniformly random interleaving of the users' streams. */
  private schedule(): Uint32Array {
    const rand = new SeededRandom(this.opts.seed, 'activity-schedule');
    const schedule = new Uint32Array(this.opts.events);
    let i = 0;
    this.users.forEach((user, u) => {
      schedule.fill(u, i, i + user.events);
      i += user.events;
    });
    for (let j = schedule.length - 1; j > 0; j--) {
      const r = rand.int(j + 1);
      const t = schedule[j]!;
      schedule[j] = schedule[r]!;
      schedule[r] = t;
    }
    return schedule;
  }
}

/** Activity of `opts.users` users over `catalogue`; throws INVALID_INPUT naming a bad option. */
export function createActivity(catalogue: Catalogue, opts: ActivityOptions): Activity {
  return new Activity(catalogue, opts);
}

/** Share of picks from the new interest after `step` of `total` events: 0, then a linear ramp, then 1. */
export function driftShare(step: number, total: number): number {
  const f = total <= 1 ? 0 : step / (total - 1);
  return Math.min(1, Math.max(0, (f - DRIFT_FROM) / (DRIFT_TO - DRIFT_FROM)));
}

/**
 * Events per user: one each (when there are enough), the rest in proportion to log-normal
 * weights, since real activity is uneven — a few heavy users, many light ones.
 */
function eventCounts(users: number, events: number, rand: SeededRandom): Uint32Array {
  const counts = new Uint32Array(users);
  const base = events >= users ? 1 : 0;
  counts.fill(base);
  const cumulative = new Float64Array(users);
  let total = 0;
  for (let u = 0; u < users; u++) cumulative[u] = total += Math.exp(0.6 * rand.gaussian());
  for (let e = events - base * users; e > 0; e--) counts[upperBound(cumulative, rand.next() * total)]!++;
  return counts;
}

/** The first index whose cumulative weight exceeds `x`. */
function upperBound(cumulative: Float64Array, x: number): number {
  let lo = 0;
  let hi = cumulative.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (cumulative[mid]! > x) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** A version-4-shaped UUID from a seed salt and a counter: unique per counter (fmix32 is a bijection), repeatable per seed. */
export function uuidShaped(salt: number, counter: number): string {
  const a = fmix32((counter ^ salt) >>> 0);
  const b = fmix32((a ^ 0x9e3779b9) >>> 0);
  const c = fmix32((b ^ 0x7f4a7c15) >>> 0);
  const d = fmix32((c ^ salt ^ 0x6a09e667) >>> 0);
  return `${hex(a, 8)}-${hex(b >>> 16, 4)}-4${hex(b & 0xfff, 3)}-${hex(0x8000 | (c & 0x3fff), 4)}-${hex(c >>> 16, 4)}${hex(d, 8)}`;
}

function hex(n: number, width: number): string {
  return n.toString(16).padStart(width, '0');
}

function validateActivityOptions(opts: ActivityOptions): void {
  const problems: string[] = [];
  if (!Number.isInteger(opts.users) || opts.users < 1) problems.push(`users must be a positive integer, got ${opts.users}`);
  if (!Number.isInteger(opts.events) || opts.events < 0) problems.push(`events must be a non-negative integer, got ${opts.events}`);
  if (!Number.isSafeInteger(opts.seed) || opts.seed < 0) problems.push(`seed must be a non-negative integer, got ${opts.seed}`);
  const rate = opts.eventsPerSecond ?? 10;
  if (!Number.isFinite(rate) || rate <= 0) problems.push(`eventsPerSecond must be above 0, got ${rate}`);
  for (const [name, v] of [['dislikeRate', opts.dislikeRate], ['exploreRate', opts.exploreRate]] as const) {
    if (v !== undefined && !(v >= 0 && v <= 1)) problems.push(`${name} must be in [0, 1], got ${v}`);
  }
  if (problems.length > 0) throw new InterestStreamError('INVALID_INPUT', `invalid activity options: ${problems.join('; ')}`);
}

/** One events-file line, `{"eventId","userId","itemId","type":"view"|"dislike","occurredAt"}` (weight 1 is the default). */
export function eventJson(e: GeneratedEvent): string {
  // The ids are generated here from [a-z0-9-] only, so they need no JSON escaping.
  return `{"eventId":"${e.eventId}","userId":"${e.userId}","itemId":"${e.itemId}","type":"${e.type === 'VIEW' ? 'view' : 'dislike'}","occurredAt":${e.occurredAt}}`;
}

/**
 * Writes `lines` to `path` as JSONL (each line ends with a newline), in ~1 MB chunks with
 * back-pressure, calling `onProgress` with the lines written so far. Returns the number of lines.
 */
export async function writeJsonl(path: string, lines: Iterable<string>, onProgress?: (written: number) => void): Promise<number> {
  let written = 0;
  function* chunks(): Generator<string> {
    let chunk = '';
    for (const line of lines) {
      chunk += `${line}\n`;
      written++;
      if (chunk.length >= 1 << 20) {
        yield chunk;
        chunk = '';
        onProgress?.(written);
      }
    }
    if (chunk.length > 0) yield chunk;
  }
  try {
    await pipeline(Readable.from(chunks()), createWriteStream(path));
  } catch (e) {
    throw new InterestStreamError('INVALID_INPUT', `cannot write ${path}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
  onProgress?.(written);
  return written;
}
