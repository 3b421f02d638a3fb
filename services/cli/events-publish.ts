import { parseEventLine } from '../core/jsonl.js';
import type { Logger } from '../core/logger.js';
import { encodeToken, mergeTokens, type ConsistencyToken } from '../core/consistency-token.js';
import type { InteractionPublisher } from '../adapters/kafka/interaction-publisher.js';
import { validateThenBatch } from './jsonl-batches.js';

export interface PublishedFile {
  readonly events: number;
  /** The consistency token of every event published (`after` of a query); '' when none were. */
  readonly token: string;
}

/** Publishes interaction events from JSONL, keyed by userId; a bad line publishes nothing. */
export async function publishEvents(opts: { file: string; publisher: InteractionPublisher; logger: Logger; batchSize?: number }): Promise<PublishedFile> {
  let position: ConsistencyToken | undefined;
  const total = await validateThenBatch({
    file: opts.file,
    parse: (line, lineNo) => parseEventLine(line, lineNo),
    write: async (batch) => {
      const sent = await opts.publisher.publishWithToken(batch);
      if (sent.position) position = mergeTokens(position, sent.position);
    },
    label: 'publishing events',
    logger: opts.logger,
    batchSize: opts.batchSize,
  });
  opts.logger.info({ events: total }, 'events published');
  return { events: total, token: position ? encodeToken(position) : '' };
}
