import { DEFAULT_TOPICS } from '../names.js';
import type { Reader } from './reader.js';

/** The Kafka topics and consumer groups the services read and write. */
export interface TopicSettings {
  /** INTERACTIONS_TOPIC: the topic of interaction events. Default `interactions`. */
  readonly interactionsTopic: string;
  /** ITEMS_TOPIC: the topic of live catalogue updates. Default `items`. */
  readonly itemsTopic: string;
  /** HISTORY_TOPIC: the topic of interest snapshots. Default `interest-history`. */
  readonly historyTopic: string;
  /**
   * IMPRESSIONS_TOPIC: when set, the query service writes every recommendation answer (impression id,
   * user, strategy, bucket, items) to this topic, for attribution, and answers carry `impressionId`.
   * Default unset: none are written.
   */
  readonly impressionsTopic: string | undefined;
  /** TOPIC_PARTITIONS: partitions used when the service creates a missing topic. Default 6. */
  readonly topicPartitions: number;
  /** CONSUMER_GROUP: base consumer group id; the generation is appended. Default `interest-stream-ingest`. */
  readonly consumerGroup: string;
  /** SCHEMA_REGISTRY_ID: when set, events are written with Confluent framing and this schema id. */
  readonly schemaRegistryId: number | undefined;
}

export function readTopicSettings(r: Reader): TopicSettings {
  return {
    interactionsTopic: r.str('INTERACTIONS_TOPIC', DEFAULT_TOPICS.interactions),
    itemsTopic: r.str('ITEMS_TOPIC', DEFAULT_TOPICS.items),
    historyTopic: r.str('HISTORY_TOPIC', DEFAULT_TOPICS.history),
    impressionsTopic: r.optional('IMPRESSIONS_TOPIC'),
    topicPartitions: r.int('TOPIC_PARTITIONS', 6, 1, 10_000),
    consumerGroup: r.str('CONSUMER_GROUP', 'interest-stream-ingest'),
    schemaRegistryId: r.optionalInt('SCHEMA_REGISTRY_ID', 0, 2 ** 31 - 1),
  };
}
