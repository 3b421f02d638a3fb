/**
 * The package's entry point for other services: the typed producer of interaction events
 * (`import { InteractionPublisher } from 'interest-stream'`). Everything else in the package is the
 * `interest-stream` command; only what a producing service needs is exported here.
 */
export { InteractionPublisher, ensureTopic } from './adapters/kafka/interaction-publisher.js';
export type { InteractionInput, InteractionPublisherOptions } from './adapters/kafka/interaction-publisher.js';
export type { InteractionEvent, EventType } from './domain/types.js';
export { InterestStreamError, isInterestStreamError } from './core/errors.js';
export { EventSealer } from './shred/shredding.js';
export { openShreddingSealer } from './shred/compose.js';
