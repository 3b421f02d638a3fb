/**
 * Ports: what the use cases need from the outside world, named by role, one file per role. Adapters
 * (by technology) live in services/adapters; each port has one conformance suite in test/contracts.
 */
export type * from './vector-store.js';
export type * from './user-state.js';
export type * from './popularity.js';
export type * from './rate-limiter.js';
export type * from './history.js';
export type * from './dirty-users.js';
export type * from './dead-letters.js';
export type * from './erasures.js';
export type * from './readiness.js';
export type * from './snapshot-claims.js';
export type * from './shard-leases.js';
export type * from './user-keys.js';
export type * from './generation-stores.js';
export type * from './generations.js';
export type * from './history-log.js';
export type * from './ops.js';
export type * from './impressions.js';
