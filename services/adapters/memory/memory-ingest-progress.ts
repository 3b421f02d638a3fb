import type { IngestProgress } from '../../domain/ports/index.js';

/**
 * The IngestProgress fake for unit tests: topic → partition → next offset to fold, raised only.
 * Passes test/contracts/ingest-progress.contract.ts alongside RedisIngestProgress.
 */
export class InMemoryIngestProgress implements IngestProgress {
  private readonly topics = new Map<string, Map<number, bigint>>();

  async advance(topic: string, next: ReadonlyMap<number, bigint>): Promise<void> {
    let partitions = this.topics.get(topic);
    if (partitions === undefined) this.topics.set(topic, (partitions = new Map()));
    for (const [partition, offset] of next) if (offset > (partitions.get(partition) ?? -1n)) partitions.set(partition, offset);
  }

  async read(topic: string): Promise<Map<number, bigint>> {
    return new Map(this.topics.get(topic));
  }
}
