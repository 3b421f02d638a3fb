/**
 * A seeded synthetic catalogue: items in d dimensions around K topical clusters. Items of one
 * cluster point roughly the same way (their centre plus gaussian noise), so nearest-neighbour
 * search finds genre-mates and a user's interest vector visibly moves when their taste does.
 * Everything is a pure function of the options: the same seed gives the same items, byte for byte.
 */
import { InterestStreamError } from '../domain/errors.js';
import { categoryName, itemTitle, themeOf } from './names.js';
import { fmix32, fnv1a32 } from '../domain/hash.js';

/** A small seeded PRNG (mulberry32) with gaussian draws; one instance per independent stream. */
export class SeededRandom {
  private state: number;
  private spare = 0;
  private hasSpare = false;

  /** `stream` separates draws for different purposes, so adding users never changes the items. */
  constructor(seed: number, stream: string) {
    this.state = mixSeed(seed, stream);
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** Standard normal (Marsaglia's polar method; the second value of each pair is kept for the next call). */
  gaussian(): number {
    if (this.hasSpare) {
      this.hasSpare = false;
      return this.spare;
    }
    let u: number;
    let v: number;
    let s: number;
    do {
      u = 2 * this.next() - 1;
      v = 2 * this.next() - 1;
      s = u * u + v * v;
    } while (s >= 1 || s === 0);
    const m = Math.sqrt((-2 * Math.log(s)) / s);
    this.spare = v * m;
    this.hasSpare = true;
    return u * m;
  }
}

export { fmix32 };

function mixSeed(seed: number, stream: string): number {
  const h = fnv1a32(stream);
  const high = Math.floor(seed / 4294967296) >>> 0;
  return fmix32((seed >>> 0) ^ fmix32(high ^ h));
}

export interface CatalogueOptions {
  readonly items: number;
  readonly dimension: number;
  readonly clusters: number;
  readonly seed: number;
  /**
   * Length of an item's noise relative to its (unit) cluster centre. At 0.75 the mean cosine
   * between items of one cluster is about 0.6 and between clusters about 0. Default 0.75.
   */
  readonly spread?: number;
}

export interface ItemPayload {
  readonly title: string;
  readonly category: string;
  readonly year: number;
  readonly rating: number;
  readonly cluster: number;
  readonly [key: string]: unknown;
}

export interface CatalogueItem {
  readonly id: string;
  /** Unit length. */
  readonly vector: Float32Array;
  readonly payload: ItemPayload;
}

export const DEFAULT_SPREAD = 0.75;

/**
 * The catalogue's structure (cluster centres, which item is in which cluster) is computed up front
 * and is small (K·d + N numbers); item vectors are generated on demand by `items()`.
 */
export class Catalogue {
  readonly size: number;
  readonly dimension: number;
  readonly clusterCount: number;
  readonly spread: number;
  readonly seed: number;
  /** Category name per cluster. */
  readonly categories: readonly string[];
  /** Unit cluster centres. */
  readonly centres: readonly Float32Array[];
  private readonly clusterOfIndex: Uint32Array;
  private readonly members: readonly Uint32Array[];
  private readonly idWidth: number;

  constructor(opts: CatalogueOptions) {
    validateCatalogueOptions(opts);
    this.size = opts.items;
    this.dimension = opts.dimension;
    this.clusterCount = opts.clusters;
    this.spread = opts.spread ?? DEFAULT_SPREAD;
    this.seed = opts.seed;
    this.idWidth = Math.max(6, String(opts.items).length);
    this.categories = Array.from({ length: opts.clusters }, (_, c) => categoryName(c));
    const centreRandom = new SeededRandom(opts.seed, 'catalogue-centres');
    this.centres = this.categories.map(() => randomUnitVector(centreRandom, opts.dimension));
    this.clusterOfIndex = balancedAssignment(opts.items, opts.clusters, new SeededRandom(opts.seed, 'catalogue-assignment'));
    this.members = membersByCluster(this.clusterOfIndex, opts.clusters);
  }

  /** `item-000123` for index 122 (ids count from 1 and are zero-padded, so they sort by index). */
  itemId(index: number): string {
    return `item-${String(index + 1).padStart(this.idWidth, '0')}`;
  }

  /** The index of an id made by `itemId`, or -1. */
  itemIndex(id: string): number {
    const m = /^item-(\d+)$/.exec(id);
    const index = m === null ? -1 : Number(m[1]) - 1;
    return index >= 0 && index < this.size ? index : -1;
  }

  clusterOf(index: number): number {
    return this.clusterOfIndex[index]!;
  }

  /** Indices of the items of `cluster`, in a fixed shuffled order (the first ones are the popular ones). */
  membersOf(cluster: number): Uint32Array {
    return this.members[cluster]!;
  }

  /** Every item in index order, each with a fresh vector. */
  *items(): Generator<CatalogueItem> {
    const rand = new SeededRandom(this.seed, 'catalogue-items');
    const noise = this.spread / Math.sqrt(this.dimension);
    for (let i = 0; i < this.size; i++) {
      const cluster = this.clusterOf(i);
      const vector = noisyUnitVector(this.centres[cluster]!, noise, rand);
      yield { id: this.itemId(i), vector, payload: this.payload(cluster, rand) };
    }
  }

  private payload(cluster: number, rand: SeededRandom): ItemPayload {
    const year = clamp(Math.round(themeOf(cluster).eraCentre + 12 * rand.gaussian()), 1950, 2025);
    const rating = Math.round(clamp(3.4 + 0.7 * rand.gaussian(), 1, 5) * 10) / 10;
    return { title: itemTitle(cluster, () => rand.next()), category: this.categories[cluster]!, year, rating, cluster };
  }
}

/** A catalogue for `opts`; throws INVALID_INPUT naming the option that is out of range. */
export function createCatalogue(opts: CatalogueOptions): Catalogue {
  return new Catalogue(opts);
}

function validateCatalogueOptions(opts: CatalogueOptions): void {
  const problems: string[] = [];
  if (!Number.isInteger(opts.items) || opts.items < 1) problems.push(`items must be a positive integer, got ${opts.items}`);
  if (!Number.isInteger(opts.dimension) || opts.dimension < 2) problems.push(`dimension must be an integer of at least 2, got ${opts.dimension}`);
  if (!Number.isInteger(opts.clusters) || opts.clusters < 1) problems.push(`clusters must be a positive integer, got ${opts.clusters}`);
  else if (opts.clusters > opts.items) problems.push(`clusters (${opts.clusters}) cannot exceed items (${opts.items}): every cluster needs an item`);
  if (!Number.isSafeInteger(opts.seed) || opts.seed < 0) problems.push(`seed must be a non-negative integer, got ${opts.seed}`);
  const spread = opts.spread ?? DEFAULT_SPREAD;
  if (!Number.isFinite(spread) || spread < 0) problems.push(`spread must be a finite number of at least 0, got ${spread}`);
  if (problems.length > 0) throw new InterestStreamError('INVALID_INPUT', `invalid catalogue options: ${problems.join('; ')}`);
}

function randomUnitVector(rand: SeededRandom, d: number): Float32Array {
  const v = new Float64Array(d);
  for (let i = 0; i < d; i++) v[i] = rand.gaussian();
  return toUnitFloat32(v);
}

function noisyUnitVector(centre: Float32Array, noise: number, rand: SeededRandom): Float32Array {
  const v = new Float64Array(centre.length);
  for (let i = 0; i < v.length; i++) v[i] = centre[i]! + noise * rand.gaussian();
  return toUnitFloat32(v);
}

function toUnitFloat32(v: Float64Array): Float32Array {
  let sum = 0;
  for (let i = 0; i < v.length; i++) sum += v[i]! * v[i]!;
  // A gaussian vector of length 0 has probability 0; the fallback keeps the function total.
  const norm = Math.sqrt(sum) || 1;
  const out = new Float32Array(v.length);
  for (let i = 0; i < v.length; i++) out[i] = v[i]! / norm;
  return out;
}

/** Round-robin cluster labels, shuffled: clusters differ in size by at most one and none is empty. */
function balancedAssignment(n: number, k: number, rand: SeededRandom): Uint32Array {
  const a = new Uint32Array(n);
  for (let i = 0; i < n; i++) a[i] = i % k;
  for (let i = n - 1; i > 0; i--) {
    const j = rand.int(i + 1);
    const t = a[i]!;
    a[i] = a[j]!;
    a[j] = t;
  }
  return a;
}

function membersByCluster(clusterOf: Uint32Array, k: number): Uint32Array[] {
  const counts = new Uint32Array(k);
  for (const c of clusterOf) counts[c]!++;
  const members = Array.from(counts, (n) => new Uint32Array(n));
  const filled = new Uint32Array(k);
  for (let i = 0; i < clusterOf.length; i++) {
    const c = clusterOf[i]!;
    members[c]![filled[c]!++] = i;
  }
  return members;
}

function clamp(x: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, x));
}

/** One items-file line, `{"id","vector":[...],"payload":{...}}`, vector to 7 decimals (about 6 significant digits). */
export function itemJson(item: CatalogueItem): string {
  // join() builds one flat string; += would build a rope that is slow to flatten when written.
  const parts = new Array<string>(item.vector.length);
  for (let i = 0; i < parts.length; i++) parts[i] = fixed7(item.vector[i]!);
  return `{"id":${JSON.stringify(item.id)},"vector":[${parts.join(',')}],"payload":${JSON.stringify(item.payload)}}`;
}

/**
 * `x` to 7 decimals as a JSON number. Building the digits from an integer is about twice as fast
 * as `toPrecision`, which matters at 100k items × d=256 numbers.
 */
function fixed7(x: number): string {
  const k = Math.round(x * 1e7);
  if (k === 0) return '0';
  const abs = k < 0 ? -k : k;
  if (abs >= 1e7) return String(k / 1e7);
  const digits = `0.${String(abs + 1e7).slice(1)}`;
  return k < 0 ? `-${digits}` : digits;
}
