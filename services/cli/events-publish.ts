import { parseEventLine } from '../core/jsonl.js';
import type { Logger } from '../core/logger.js';
import type { InteractionPublisher } from '../adapters/kafka/interaction-publisher.js';
import { validateThenBatch } from './jsonl-batches.js';

/** Publishes interaction events from JSONL, keyed by userId; a bad line publishes nothing. */
export async function publishEvents(opts: { file: string; publisher: InteractionPublisher; logger: Logger; batchSize?: number }): Promise<number> {
  const total = await validateThenBatch({
    file: opts.file,
    parse: (line, lineNo) => parseEventLine(line, lineNo),
    write: async (batch) => {
      await opts.publisher.publish(batch);
    },
    label: 'publishing events',
    logger: opts.logger,
    batchSize: opts.batchSize,
  });
  opts.logger.info({ events: total }, 'events published');
  return total;
}
