/**
 * The package's entry point for other services: the typed producer of interaction events
 * (`import { InteractionPublisher } from 'interest-stream'`). Everything else in the package is the
 * `interest-stream` command; only what a producing service needs is exported here.
 */
export { InteractionPublisher, ensureTopic } from './adapters/kafka/interaction-publisher.js';
export type { InteractionInput, InteractionPublisherOptions, PublishedEvents } from './adapters/kafka/interaction-publisher.js';
// Read-your-writes: tokens of several publishes merge into one `after` (highest offset per partition).
export { mergeTokens, encodeToken, decodeToken } from './core/consistency-token.js';
export type { ConsistencyToken } from './core/consistency-token.js';
export type { InteractionEvent, EventType } from './domain/types.js';
export { InterestStreamError, isInterestStreamError } from './domain/errors.js';
export { EventSealer } from './domain/shred/shredding.js';
import type { EventSealer } from './domain/shred/shredding.js';

/**
 * ERASURE_MODE=shred (docs/privacy-shred.md): the sealer to give `InteractionPublisher`, configured
 * from the same environment variables as the services; undefined in plain mode. Loaded on demand,
 * so a plain publisher never loads the Redis and vector-store clients.
 */
export async function openShreddingSealer(env: Record<string, string | undefined> = process.env): Promise<(EventSealer & { close(): Promise<void> }) | undefined> {
  const { openShreddingSealer: open } = await import('./adapters/shredding.js');
  return open(env);
}
