import type { Consumer } from 'kafkajs';
import type { LogPosition } from '../../domain/log-records.js';

/**
 * The partitions this process owns, as the group coordinator last assigned them. kafkajs commits
 * whatever it is given once the process has rejoined the group, so a commit queued for a partition
 * that moved to another member in between (the process was paused past its session timeout) would
 * overwrite the new owner's progress. Commits are filtered here at commit time instead.
 */
export class PartitionOwnership {
  private owned = new Set<string>();

  /** `onAssigned` runs after every (re)join: what was verified under the old assignment is stale now. */
  constructor(consumer: Pick<Consumer, 'on' | 'events'>, onAssigned: () => void = () => {}) {
    consumer.on(consumer.events.GROUP_JOIN, (e) => {
      this.owned = new Set(Object.entries(e.payload.memberAssignment).flatMap(([topic, partitions]) => partitions.map((p) => key(topic, p))));
      onAssigned();
    });
    // Between the start of a rebalance and the next join nothing is known to be ours.
    for (const event of [consumer.events.REBALANCING, consumer.events.STOP, consumer.events.CRASH]) {
      consumer.on(event, () => {
        this.owned = new Set();
      });
    }
  }

  owns(topic: string, partition: number): boolean {
    return this.owned.has(key(topic, partition));
  }

  /** The points of partitions still owned, and how many were dropped. */
  keepOwned(points: readonly LogPosition[]): { keep: LogPosition[]; dropped: number } {
    const keep = points.filter((p) => this.owns(p.topic, p.partition));
    return { keep, dropped: points.length - keep.length };
  }
}

function key(topic: string, partition: number): string {
  return `${topic}:${partition}`;
}
