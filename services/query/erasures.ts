/**
 * The erasure use cases (docs/privacy.md): `DELETE /v1/users/{id}` / gRPC Erase, and the status of
 * an erasure (`GET /v1/erasures/{id}`).
 */
import { randomUUID } from 'node:crypto';
import { InterestStreamError } from '../domain/errors.js';
import { pass } from '../core/gates.js';
import type { Logger } from '../core/logger.js';
import { eventIdHash } from '../domain/event-id.js';
import type { ErasurePublisher, Erasures, ErasureStatus, PurgeOutcome, UserPurge, VectorStore } from '../domain/ports/index.js';
import type { UserState } from '../domain/types.js';
import { USER_VERSION, toUserPoint } from '../core/user-record.js';
import { tombstoneOf } from '../domain/tombstone.js';
import type { GenerationViews } from './generation-views.js';

/** Who asked for an erasure, for the audit log: the API key's id (undefined without keys) and the request id. */
export interface Requester {
  readonly keyId: string | undefined;
  readonly requestId: string | undefined;
}

export interface ErasureReceipt {
  /** Poll `GET /v1/erasures/{erasureId}` until `complete`. */
  readonly erasureId: string;
  readonly userId: string;
  /** Id of the ERASE event published to the interactions topic (the erasure id). */
  readonly eventId: string;
  readonly status: 'pending';
  readonly requestedAt: number;
  /** What the active generation held: a live state in Redis, a live durable record, history snapshots. */
  readonly purged: { readonly redis: boolean; readonly durable: boolean; readonly historySnapshots: number };
}

export interface ErasureDeps {
  readonly generations: GenerationViews;
  readonly vectors: VectorStore;
  readonly publisher: ErasurePublisher;
  readonly erasures: Erasures;
  readonly logger: Logger;
  /** Deletes the user's data keys (ERASURE_MODE=shred, adapters/shredding.ts): their sealed events become unreadable. */
  readonly forgetKeys?: (userId: string) => Promise<void>;
}

/**
 * Opens the erasure's record, publishes its ERASE (the event id is the erasure id), sets the user's
 * erase marker at the ERASE's position, then purges the active generation down to the tombstone at
 * once; ingest purges again and completes the erasure once it has folded the ERASE. The log line
 * records who asked (the key's id, never the key) and the request.
 */
export async function eraseUser(deps: ErasureDeps, userId: string, requester: Requester): Promise<ErasureReceipt> {
  const erasureId = randomUUID();
  const requestedAt = Date.now();
  await deps.erasures.request(erasureId, userId, requestedAt);
  const { watermark } = await deps.publisher.publishAt({ eventId: erasureId, userId, itemId: '', type: 'ERASE', occurredAt: requestedAt, weight: 1 }).catch(async (e: unknown) => {
    // Not published (or not known to be): no record with the user id lingers for the TTL. Should the
    // send land after all, ingest still folds and purges; it just has no record to complete.
    await deps.erasures.forget(erasureId).catch(() => undefined);
    throw e;
  });
  const marker = { userId, watermark, at: requestedAt };
  await deps.erasures.mark(marker);
  // Before the purge: once the keys are gone ingest can fold none of the user's sealed events again.
  await deps.forgetKeys?.(userId);
  await pass('erase:purge', () => [userId]);
  // The active generation is purged now; every generation's ingest purges its own once it folds the ERASE.
  const g = await deps.generations.current();
  const durable = await g.users.loadDurable(userId);
  const tombstone = tombstoneOf(marker, eventIdHash(erasureId));
  const redis = await purgeGeneration({ purge: g.purge, vectors: deps.vectors, usersCollection: g.users.collection }, tombstone);
  // Every other registered generation too: one replaying now may have folded the user's earlier
  // events and, in shred mode, can no longer read the ERASE once the first generation has folded it.
  for (const other of await deps.generations.others()) {
    await purgeGeneration({ purge: other.purge, vectors: deps.vectors, usersCollection: other.users.collection }, tombstone);
  }
  deps.logger.info({ userId, erasureId, keyId: requester.keyId ?? null, requestId: requester.requestId ?? null }, 'user erased');
  return {
    erasureId,
    userId,
    eventId: erasureId,
    status: 'pending',
    requestedAt,
    purged: { redis: redis.hadState, durable: durable !== null && !durable.erased, historySnapshots: redis.historySnapshots },
  };
}

/** Where an erasure stands; NOT_FOUND for an id never issued or expired (ERASURE_RECORD_TTL_MS). */
export async function erasureStatus(erasures: Erasures, erasureId: string): Promise<ErasureStatus> {
  const status = await erasures.status(erasureId);
  if (status === undefined) {
    throw new InterestStreamError('NOT_FOUND', `erasure "${erasureId}" is unknown (never issued, or its record expired)`, { details: { field: 'erasureId' } });
  }
  return status;
}

interface GenerationPurgeTarget {
  readonly purge: UserPurge;
  readonly vectors: VectorStore;
  readonly usersCollection: string;
}

/**
 * Purges one generation down to the tombstone: Redis (the user's state, claim and history), and the durable record replaced by the
 * tombstone with a compare-and-set on the position, so a durable write of an older state still
 * waiting in ingest is refused when it lands (it can never bring the user back).
 */
async function purgeGeneration(target: GenerationPurgeTarget, tombstone: UserState): Promise<PurgeOutcome> {
  const [redis, dimension] = await Promise.all([target.purge.purge(tombstone), target.vectors.collectionDimension(target.usersCollection)]);
  // No collection: nothing durable of this generation yet.
  if (dimension !== undefined) await target.vectors.upsertIfNewer(target.usersCollection, [toUserPoint(tombstone, dimension)], USER_VERSION);
  return redis;
}
