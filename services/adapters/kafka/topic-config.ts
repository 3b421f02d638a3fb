// kafkajs is CommonJS: Node's ESM loader does not see ConfigResourceTypes as a named export.
import kafkajs, { type Admin } from 'kafkajs';
import { toInterestStreamError } from '../../core/errors.js';

/** The topic's `cleanup.policy` as the broker reports it (`delete`, `compact`, `compact,delete`). */
export async function cleanupPolicy(admin: Admin, topic: string): Promise<string | undefined> {
  try {
    const { resources } = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: kafkajs.ConfigResourceTypes.TOPIC, name: topic, configNames: ['cleanup.policy'] }] });
    return resources[0]?.configEntries.find((e) => e.configName === 'cleanup.policy')?.configValue;
  } catch (e) {
    throw toInterestStreamError(e, 'BROKER_UNAVAILABLE');
  }
}

/** True when compaction runs on the topic, so an erasure's tombstones remove the user's snapshots (docs/privacy.md). */
export function isCompacted(policy: string | undefined): boolean {
  return policy !== undefined && policy.split(',').map((p) => p.trim()).includes('compact');
}
