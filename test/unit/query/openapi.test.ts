import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../services/core/config.js';
import { buildOpenApi } from '../../../services/query/openapi.js';

describe('OpenAPI document', () => {
  it('docs/openapi.json is exactly what /openapi.json serves with the default configuration', () => {
    const committed: unknown = JSON.parse(readFileSync(new URL('../../../docs/openapi.json', import.meta.url), 'utf8'));
    const config = loadConfig({});
    expect(committed).toEqual(buildOpenApi(config.maxLimit, config.historySize));
  });

  it('documents every /v1 route and the limit caps', () => {
    const doc = buildOpenApi(200, 20) as { paths: Record<string, Record<string, { parameters?: Array<{ name: string; schema: { maximum?: number } }> }>> };
    expect(Object.keys(doc.paths).filter((p) => p.startsWith('/v1')).sort()).toEqual([
      '/v1/items/{itemId}/similar',
      '/v1/users/{userId}',
      '/v1/users/{userId}/history',
      '/v1/users/{userId}/interest',
      '/v1/users/{userId}/recommendations',
    ]);
    const limit = doc.paths['/v1/users/{userId}/recommendations']!.get!.parameters!.find((p) => p.name === 'limit');
    expect(limit?.schema.maximum).toBe(200);
    const historyLimit = doc.paths['/v1/users/{userId}/history']!.get!.parameters!.find((p) => p.name === 'limit');
    expect(historyLimit?.schema.maximum).toBe(20);
  });
});
