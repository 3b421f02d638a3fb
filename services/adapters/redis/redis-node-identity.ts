import { toInterestStreamError } from '../../domain/errors.js';
import type { RedisClient } from './redis-client.js';

/**
 * Who holds the data this client talks to: each master's `run_id` (new on every restart) and
 * `master_replid` (new on every restart and on every failover to a replica). Two equal answers mean
 * no node was restarted or replaced in between, so nothing written since came back older. A
 * restore of old keys on the same node (DUMP/RESTORE, a script) changes neither: ingest also
 * compares each user's watermark with the one it last wrote (services/ingest/state-trust.ts).
 */
export async function redisNodeIdentity(redis: RedisClient): Promise<string> {
  try {
    const nodes = 'nodes' in redis && typeof redis.nodes === 'function' ? redis.nodes('master') : [redis];
    const infos = await Promise.all(nodes.map((n) => n.call('INFO', 'server', 'replication') as Promise<string>));
    return infos.map((info) => `${field(info, 'run_id')}/${field(info, 'master_replid')}`).sort().join(',');
  } catch (e) {
    throw toInterestStreamError(e, 'STORE_UNAVAILABLE');
  }
}

function field(info: string, name: string): string {
  const m = new RegExp(`^${name}:(\\S+)`, 'm').exec(info);
  return m?.[1] ?? '';
}
