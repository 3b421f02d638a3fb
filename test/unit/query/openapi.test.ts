import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../services/core/config.js';
import { buildOpenApi, EXCLUDE_PATTERN, FILTER_PATTERN } from '../../../services/query/openapi.js';
import { parseFilterSyntax } from '../../../services/query/filter-syntax.js';
import { parseExclude } from '../../../services/query/validation.js';

const accepts = (parse: () => unknown): boolean => {
  try {
    parse();
    return true;
  } catch {
    return false;
  }
};

describe('OpenAPI document', () => {
  it('docs/openapi.json is exactly what /openapi.json serves with the default configuration', () => {
    const committed: unknown = JSON.parse(readFileSync(new URL('../../../docs/openapi.json', import.meta.url), 'utf8'));
    const config = loadConfig({});
    expect(committed).toEqual(buildOpenApi(config.maxLimit, config.historySize));
  });

  it('documents every /v1 route and the limit caps', () => {
    const doc = buildOpenApi(200, 20) as { paths: Record<string, Record<string, { parameters?: Array<{ name: string; schema: { maximum?: number } }> }>> };
    expect(Object.keys(doc.paths).filter((p) => p.startsWith('/v1')).sort()).toEqual([
      '/v1/erasures/{erasureId}',
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

  it('publishes the filter grammar as a pattern the parser agrees with', () => {
    const re = new RegExp(FILTER_PATTERN, 'u');
    const valid = ['', 'category:scifi', 'category:scifi,year>=1990', 'lang:en|fr', 'rating:3..5', 'code:"007"', 'q:"a,b|c \\" d"', ' a:1 , b<2 ', 'x>-1.5e3'];
    const invalid = ['category', ':x', 'a:', 'a>=', 'a>=x', '1a:b', 'a:"open', 'a:b"c', 'a:1,,b:2', 'a :b'];
    for (const f of valid) expect([f, re.test(f), accepts(() => parseFilterSyntax(f))]).toEqual([f, true, true]);
    for (const f of invalid) expect([f, re.test(f), accepts(() => parseFilterSyntax(f))]).toEqual([f, false, false]);
  });

  it('publishes the exclude values as a pattern the parser agrees with', () => {
    const re = new RegExp(EXCLUDE_PATTERN, 'u');
    for (const e of ['', 'none', 'seen', 'disliked', 'seen,disliked', 'disliked, seen']) expect([e, re.test(e), accepts(() => parseExclude([e]))]).toEqual([e, true, true]);
    for (const e of ['liked', 'none,seen', 'seen;disliked']) expect([e, re.test(e), accepts(() => parseExclude([e]))]).toEqual([e, false, false]);
  });

  it('makes the key optional, documents 403 on erasure, 431, Retry-After and every error code', () => {
    const doc = buildOpenApi(200, 20) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(doc.security).toEqual([{}, { apiKey: [] }]);
    const erase = doc.paths['/v1/users/{userId}'].delete;
    expect(Object.keys(erase.responses).sort()).toEqual(['202', '400', '401', '403', '429', '431', '503']);
    expect(doc.components.responses.E429.headers['retry-after']).toBeDefined();
    expect(doc.components.schemas.Error.properties.error.properties.code.enum).toContain('FORBIDDEN');
    expect(erase.parameters[0].schema).toEqual({ type: 'string', minLength: 1, maxLength: 256, pattern: '^(?!\\.\\.?$)[^\\u0000-\\u001f\\u007f-\\u009f{}]+$' });
  });
});
