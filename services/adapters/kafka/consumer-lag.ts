import type { Admin } from 'kafkajs';
import type { ConsumerLag } from '../../domain/ports/index.js';

/**
 * How far a consumer group is behind a topic, from committed offsets (what survives a restart),
 * not from what a live consumer has merely fetched. A partition the group never committed counts
 * from its low watermark.
 */
export async function consumerLag(admin: Admin, groupId: string, topic: string): Promise<ConsumerLag> {
  const [ends, committed] = await Promise.all([admin.fetchTopicOffsets(topic), admin.fetchOffsets({ groupId, topics: [topic] })]);
  const byGroup = new Map((committed[0]?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]));
  const byPartition = ends
    .map((e) => {
      const end = Number(e.high);
      const c = byGroup.get(e.partition) ?? -1;
      const committedOffset = c < 0 ? Number(e.low) : c;
      return { partition: e.partition, committed: committedOffset, end, lag: Math.max(0, end - committedOffset) };
    })
    .sort((a, b) => a.partition - b.partition);
  return {
    total: byPartition.reduce((s, p) => s + p.lag, 0),
    end: byPartition.reduce((s, p) => s + p.end, 0),
    byPartition,
  };
}

/** Resolves once the group has committed everything the topic held when each check ran. */
export async function waitForCatchUp(admin: Admin, groupId: string, topic: string, opts: { timeoutMs?: number; intervalMs?: number } = {}): Promise<void> {
  const deadline = Date.now() + (opts.timeoutMs ?? 120_000);
  for (;;) {
    const lag = await consumerLag(admin, groupId, topic);
    if (lag.total === 0) return;
    if (Date.now() > deadline) throw new Error(`group ${groupId} still ${lag.total} messages behind on ${topic}`);
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 100));
  }
}
