import type { Config, KafkaSettings } from '../core/config.js';
import type { Logger } from '../core/logger.js';
import { consumerGroupId } from '../core/names.js';
import { kafkaForConfig } from '../adapters/kafka/kafka-client.js';
import { consumerLag } from '../adapters/kafka/consumer-lag.js';
import { startIngest, type IngestOptions } from '../ingest/ingest-service.js';
import { createProgress } from './progress.js';
import { retryOnBrokerLoss } from '../adapters/kafka/broker-loss.js';

/**
 * Runs ingest for a generation and, while it catches up with the topic (a replay, or a backlog),
 * shows progress — a bar with events/s and ETA on a terminal, a log line every few seconds
 * otherwise — then says how to activate the generation. Ingest keeps running live afterwards.
 */
export async function runIngest(config: Config, logger: Logger, opts: IngestOptions): Promise<() => Promise<void>> {
  const handle = await startIngest(config, logger, opts);
  const stopWatching = await watchCatchUp(config, logger);
  return async () => {
    await stopWatching();
    await handle.close();
  };
}

/** What watching the catch-up reads: the brokers, and the group and topic of the generation. */
type LagSettings = KafkaSettings & Pick<Config, 'consumerGroup' | 'generation' | 'interactionsTopic'>;

/** The group's lag at start, from a fresh admin client; 0 (no progress shown) when Kafka cannot say. */
async function initialLag(config: LagSettings, logger: Logger, groupId: string): Promise<number> {
  const read = async () => {
    const admin = kafkaForConfig(config, logger).admin();
    await admin.connect();
    try {
      return (await consumerLag(admin, groupId, config.interactionsTopic)).total;
    } finally {
      await admin.disconnect().catch(() => {});
    }
  };
  // Progress is a convenience: a broker lost just now must not stop an ingest that already runs.
  return retryOnBrokerLoss('reading the group lag', read, logger).catch((e: unknown) => {
    logger.warn({ err: e }, 'cannot read the consumer group lag; no catch-up progress shown');
    return 0;
  });
}

async function watchCatchUp(config: LagSettings, logger: Logger): Promise<() => Promise<void>> {
  const groupId = consumerGroupId(config.consumerGroup, config.generation);
  const initial = await initialLag(config, logger, groupId);
  if (initial === 0) return async () => {};
  const admin = kafkaForConfig(config, logger).admin();
  await admin.connect().catch(() => {});
  const progress = createProgress({ label: `generation ${config.generation} catching up`, total: initial, logger });
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    clearTimeout(timer);
    progress.stop();
    await admin.disconnect().catch(() => {});
  };
  const tick = async () => {
    const lag = (await consumerLag(admin, groupId, config.interactionsTopic).catch(() => undefined))?.total;
    if (stopped) return;
    if (lag !== undefined) progress.update(Math.max(0, initial - lag), { lag });
    if (lag === 0) {
      await stop();
      logger.info(
        { generation: config.generation },
        `generation ${config.generation} has caught up; switch the query service to it with: interest-stream generation activate ${config.generation}`,
      );
      return;
    }
    timer = setTimeout(() => void tick(), 1000);
  };
  timer = setTimeout(() => void tick(), 1000);
  return stop;
}
