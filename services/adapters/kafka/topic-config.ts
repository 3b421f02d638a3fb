// kafkajs is CommonJS: Node's ESM loader does not see ConfigResourceTypes as a named export.
import kafkajs, { type Admin } from 'kafkajs';
import { toInterestStreamError } from '../../domain/errors.js';

/**
 * One setting of each topic as the broker reports it (one describeConfigs request); undefined for a
 * topic that does not report it. Throws BROKER_UNAVAILABLE on broker errors.
 */
export async function readTopicConfig(admin: Admin, topics: readonly string[], configName: string): Promise<Map<string, string | undefined>> {
  try {
    const { resources } = await admin.describeConfigs({
      includeSynonyms: false,
      resources: topics.map((name) => ({ type: kafkajs.ConfigResourceTypes.TOPIC, name, configNames: [configName] })),
    });
    return new Map(resources.map((r) => [r.resourceName, r.configEntries.find((e) => e.configName === configName)?.configValue]));
  } catch (e) {
    throw toInterestStreamError(e, 'BROKER_UNAVAILABLE');
  }
}

/** The topic's `cleanup.policy` as the broker reports it (`delete`, `compact`, `compact,delete`). */
export async function cleanupPolicy(admin: Admin, topic: string): Promise<string | undefined> {
  return (await readTopicConfig(admin, [topic], 'cleanup.policy')).get(topic);
}

/** True when compaction runs on the topic, so an erasure's tombstones remove the user's snapshots (docs/privacy.md). */
export function isCompacted(policy: string | undefined): boolean {
  return policy !== undefined && policy.split(',').map((p) => p.trim()).includes('compact');
}
