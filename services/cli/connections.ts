import type { Config, GenerationSettings, KafkaSettings, ShredSettings, VectorStoreSettings } from '../core/config.js';
import type { Logger } from '../core/logger.js';
import { kafkaForConfig } from '../adapters/kafka/kafka-client.js';
import { InteractionPublisher, ensureTopic } from '../adapters/kafka/interaction-publisher.js';
import { createVectorStore } from '../adapters/vector-store/create-vector-store.js';
import { importItems, type ImportResult } from './items-import.js';
import { openSealer, type KeyStoreSettings } from '../adapters/shredding.js';

/** Where the catalogue goes: the vector store and its items collection. */
export type CatalogueSettings = VectorStoreSettings & Pick<GenerationSettings, 'itemsCollection'>;

/** Imports an items file into the configured vector store (opened and closed here). */
export async function importCatalogueFile(file: string, config: CatalogueSettings, logger: Logger): Promise<ImportResult> {
  const store = createVectorStore(config, logger);
  await store.start();
  try {
    return await importItems({ file, store, logger, collection: config.itemsCollection });
  } finally {
    await store.close();
  }
}

/** What a publisher of interactions reads: the brokers and topic, and the key store it seals with in ERASURE_MODE=shred. */
export type PublisherSettings = KafkaSettings & Pick<Config, 'interactionsTopic' | 'topicPartitions' | 'schemaRegistryId'> & KeyStoreSettings & ShredSettings;

/** A started publisher to the interactions topic, which is created first (config.topicPartitions) when missing. */
export async function openInteractionPublisher(config: PublisherSettings, logger: Logger): Promise<InteractionPublisher> {
  const kafka = kafkaForConfig(config, logger);
  const admin = kafka.admin();
  await admin.connect();
  await ensureTopic(admin, config.interactionsTopic, config.topicPartitions).finally(() => admin.disconnect());
  const sealer = await openSealer(config, logger);
  const publisher = new InteractionPublisher({ kafka, topic: config.interactionsTopic, schemaRegistryId: config.schemaRegistryId, logger, sealer });
  await publisher.start();
  return publisher;
}
