import type { Config } from '../core/config.js';
import type { Logger } from '../core/logger.js';
import { kafkaForConfig } from '../adapters/kafka/kafka-client.js';
import { InteractionPublisher, ensureTopic } from '../adapters/kafka/interaction-publisher.js';
import { createVectorStore } from '../adapters/vector-store/create-vector-store.js';
import { importItems, type ImportResult } from './items-import.js';
import { openSealer } from '../adapters/shredding.js';

/** Imports an items file into the configured vector store (opened and closed here). */
export async function importCatalogueFile(file: string, config: Config, logger: Logger): Promise<ImportResult> {
  const store = createVectorStore(config, logger);
  await store.start();
  try {
    return await importItems({ file, store, logger, collection: config.itemsCollection });
  } finally {
    await store.close();
  }
}

/** A started publisher to the interactions topic, which is created first (config.topicPartitions) when missing. */
export async function openInteractionPublisher(config: Config, logger: Logger): Promise<InteractionPublisher> {
  const kafka = kafkaForConfig(config, logger);
  const admin = kafka.admin();
  await admin.connect();
  await ensureTopic(admin, config.interactionsTopic, config.topicPartitions).finally(() => admin.disconnect());
  const sealer = await openSealer(config, logger);
  const publisher = new InteractionPublisher({ kafka, topic: config.interactionsTopic, schemaRegistryId: config.schemaRegistryId, logger, sealer });
  await publisher.start();
  return publisher;
}
