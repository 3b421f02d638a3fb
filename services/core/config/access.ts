import { readFileSync } from 'node:fs';
import { parseApiKeys, type ApiKeySpec } from '../api-keys.js';
import { fileProblem, type Reader } from './reader.js';

/** Who may call the query service, and how often (issue 9): what its AccessGuard reads. */
export interface AccessSettings {
  /**
   * API_KEYS (comma-separated) and API_KEYS_FILE (a file, one entry a line, `#` comments; e.g. a
   * mounted Kubernetes secret): the keys, together. Entries are `<id>:<read|erase>:<secret>`,
   * `<id>:<read|erase>:sha256:<hex digest>` or a bare `<secret>` (scope erase); see core/api-keys.ts.
   * When any is set, every route but /healthz, /readyz, /metrics and /openapi.json, and every gRPC
   * call but health, needs `Authorization: Bearer <secret>`. None (the default) means no
   * authentication. Only digests are kept; secrets are never logged.
   */
  readonly apiKeys: readonly ApiKeySpec[];
  /** RATE_LIMIT_PER_MINUTE: requests per minute per API key, shared by all replicas through Redis. Default 60000. */
  readonly rateLimitPerMinute: number;
  /**
   * RATE_LIMIT_PER_ADDRESS_PER_MINUTE: requests per minute per client address when no API keys are
   * configured, shared by all replicas. Default 0: no per-address limit (a product backend calls
   * from few addresses at a high rate).
   */
  readonly rateLimitPerAddressPerMinute: number;
  /** AUTH_FAILURES_PER_MINUTE: failed authentications per client address per minute before it gets 429. Default 30. */
  readonly authFailuresPerMinute: number;
  /**
   * TRUST_PROXY: Fastify's `trustProxy`, for a query service behind a load balancer: `false` (the
   * default: the client is the peer address), `true` (trust X-Forwarded-For entirely), a number of
   * proxy hops, or a comma list of proxy addresses / CIDRs. Decides the address rate limits key on.
   */
  readonly trustProxy: boolean | number | string;
}

export function readAccessSettings(r: Reader): AccessSettings {
  return {
    apiKeys: readApiKeys(r),
    rateLimitPerMinute: r.int('RATE_LIMIT_PER_MINUTE', 60_000, 1, 100_000_000),
    rateLimitPerAddressPerMinute: r.int('RATE_LIMIT_PER_ADDRESS_PER_MINUTE', 0, 0, 100_000_000),
    authFailuresPerMinute: r.int('AUTH_FAILURES_PER_MINUTE', 30, 1, 1_000_000),
    trustProxy: readTrustProxy(r.str('TRUST_PROXY', 'false')),
  };
}

/** API_KEYS and the entries of API_KEYS_FILE, parsed together (see core/api-keys.ts). */
function readApiKeys(r: Reader): ApiKeySpec[] {
  const entries = r.str('API_KEYS', '').split(',');
  const file = r.optional('API_KEYS_FILE');
  if (file !== undefined) {
    try {
      entries.push(...readFileSync(file, 'utf8').split(/\r?\n/));
    } catch (e) {
      r.problems.push(`API_KEYS_FILE=${JSON.stringify(file)}: cannot be read (${fileProblem(e)})`);
    }
  }
  const { keys, problems } = parseApiKeys(entries);
  r.problems.push(...problems.map((p) => `API_KEYS${file !== undefined ? ' / API_KEYS_FILE' : ''}: ${p}`));
  return keys;
}

/** TRUST_PROXY as Fastify takes it: a boolean, a hop count, or the proxies' addresses. */
function readTrustProxy(raw: string): boolean | number | string {
  if (/^(true|false)$/i.test(raw)) return raw.toLowerCase() === 'true';
  if (/^\d+$/.test(raw)) return Number(raw);
  return raw;
}
