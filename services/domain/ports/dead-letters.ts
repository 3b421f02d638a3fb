import type { InterestStreamError } from '../errors.js';

/**
 * Message headers as the broker carries them (structurally kafkajs's `IHeaders`, so the Kafka
 * adapters pass theirs through, without the use cases importing the client library).
 */
export type MessageHeaders = { [key: string]: Buffer | string | (Buffer | string)[] | undefined };

/** A message that could not be applied, with the reason, ready for `<topic>.dlq`. */
export interface DeadLetter {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly key: Buffer | null;
  /** The original bytes, untouched, so the message can be replayed once the cause is fixed. */
  readonly value: Buffer | null;
  readonly headers: MessageHeaders | undefined;
  readonly error: InterestStreamError;
}
