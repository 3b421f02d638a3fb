/**
 * The OpenAPI 3.1 document served at /openapi.json, built from the same constants the validation
 * uses so it cannot drift from the code: the schemas in openapi-schemas.ts, the paths in
 * openapi-paths.ts. docs/openapi.json is a committed copy (a unit test keeps them equal; regenerate
 * with `npx tsx -e` printing `buildOpenApi(200, 20)` after a change).
 */
import { opsPaths, v1Paths } from './openapi-paths.js';
import { json, ref, SCHEMAS, type Json } from './openapi-schemas.js';

export { EXCLUDE_PATTERN, FILTER_PATTERN } from './openapi-paths.js';

const ERROR_RESPONSES: Record<number, string> = {
  400: 'Invalid input; `error.field` names it.',
  401: 'Missing or invalid API key (only when keys are configured).',
  403: 'The API key lacks the scope the call needs (erasure needs `erase`).',
  404: 'Not found.',
  429: 'Rate limit exceeded; the message names the limit, Retry-After says when to retry.',
  503: 'A backing service is unavailable, or the service is at capacity (OVERLOADED, with Retry-After).',
};

const RETRY_AFTER: Json = { 'retry-after': { description: 'Seconds to wait before retrying.', schema: { type: 'string', pattern: '^[0-9]+$' } } };

function errorResponse(status: number, description: string): Json {
  const response = json(ref('Error'), description);
  return status === 429 || status === 503 ? { ...response, headers: RETRY_AFTER } : response;
}

/** The OpenAPI document for a service whose `limit` is capped at `maxLimit` (at `historySize` for history). */
export function buildOpenApi(maxLimit: number, historySize: number): Json {
  return {
    openapi: '3.1.0',
    info: { title: 'interest-stream query API', version: '1.0.0', description: 'Real-time recommendations from per-user interest vectors. See docs/api.md.' },
    // `{}` first: a key is optional, needed only when the service has keys configured.
    security: [{}, { apiKey: [] }],
    paths: { ...v1Paths(maxLimit, historySize), ...opsPaths() },
    components: {
      securitySchemes: {
        apiKey: {
          type: 'http',
          scheme: 'bearer',
          description: 'Required only when the service has API_KEYS / API_KEYS_FILE configured; erasure needs a key with the erase scope.',
        },
      },
      schemas: SCHEMAS,
      responses: Object.fromEntries(Object.entries(ERROR_RESPONSES).map(([s, d]) => [`E${s}`, errorResponse(Number(s), d)])),
    },
  };
}
