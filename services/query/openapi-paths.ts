/**
 * The paths of the OpenAPI document (openapi.ts): the /v1 routes with their parameters, whose
 * patterns and bounds come from the validation constants, and the public operational routes.
 */
import { ID_PATTERN } from '../domain/ids.js';
import { MAX_FILTER_LENGTH } from './filter-syntax.js';
import { MAX_TOKEN_LENGTH } from '../core/consistency-token.js';
import { json, ref, type Json } from './openapi-schemas.js';
import { DEFAULT_LIMIT, EXCLUSIONS, MAX_ID_LENGTH, STRATEGIES } from './validation.js';

const errors = (...statuses: number[]): Json =>
  Object.fromEntries(statuses.map((s) => [String(s), { $ref: `#/components/responses/E${s}` }]));

function pathId(name: string, description: string): Json {
  const rule = `${description} 1-${MAX_ID_LENGTH} characters, no control characters, no { or }, not . or ..`;
  return { name, in: 'path', required: true, description: rule, schema: { type: 'string', minLength: 1, maxLength: MAX_ID_LENGTH, pattern: ID_PATTERN } };
}

function limitParam(maxLimit: number): Json {
  return { name: 'limit', in: 'query', description: `How many items (default ${Math.min(DEFAULT_LIMIT, maxLimit)}).`, schema: { type: 'integer', minimum: 1, maximum: maxLimit } };
}

// The filter grammar (services/query/filter-syntax.ts) as a pattern: comma-separated conditions, each a
// payload key then `:` with `|`-separated values (plain or "quoted") or a comparison with a number.
// What a pattern cannot say (a range's bounds must be numbers in order, at most 64 conditions, the
// reserved key) is a 400 naming the condition.
const FILTER_VALUE = '("(\\\\.|[^"\\\\])*"|[^,|"]+)';
const FILTER_NUMBER = '-?(\\d+(\\.\\d*)?|\\.\\d+)([eE][-+]?\\d+)?';
const FILTER_CONDITION = `[A-Za-z_][A-Za-z0-9_-]*(:${FILTER_VALUE}(\\|${FILTER_VALUE})*|(>=|<=|>|<)${FILTER_NUMBER})`;
export const FILTER_PATTERN = `^\\s*(${FILTER_CONDITION}(\\s*,\\s*${FILTER_CONDITION})*\\s*)?$`;

const FILTER_PARAM: Json = {
  name: 'filter',
  in: 'query',
  description:
    'Conditions on item payloads, all of which must hold: `key:value`, `key:a|b`, `key:lo..hi`, `key>=n` (see docs/api.md). ' +
    'A range needs numbers with lo <= hi; at most 64 conditions.',
  schema: { type: 'string', maxLength: MAX_FILTER_LENGTH, pattern: FILTER_PATTERN },
  example: 'category:scifi,year>=1990',
};

const AFTER_PARAM: Json = {
  name: 'after',
  in: 'query',
  description:
    'A consistency token from the publisher (`InteractionPublisher.publishWithToken`, `events publish --json`): the answer waits until ingest ' +
    'has folded the events it names, at most AFTER_WAIT_MS (default 200 ms), and says which in `freshness.caughtUp`. ' +
    'A malformed token, or one of another topic, is a 400 naming `after`.',
  schema: { type: 'string', minLength: 1, maxLength: MAX_TOKEN_LENGTH, pattern: '^[A-Za-z0-9_-]+$' },
};

const EXCLUDE_WORD = `(${EXCLUSIONS.join('|')})`;
/** `exclude`: empty, `none`, or a comma list of the exclusions (spaces around items allowed). */
export const EXCLUDE_PATTERN = `^\\s*(none|${EXCLUDE_WORD}(\\s*,\\s*${EXCLUDE_WORD})*)?\\s*$`;

/** 431 comes from the HTTP server itself (request line and headers over 64 KiB), before any route. */
const E431: Json = { 431: { description: 'Request line and header fields together over 64 KiB (answered by the HTTP server before routing).' } };

function historyPath(historySize: number): Json {
  return {
    get: {
      operationId: 'getHistory',
      summary: "A user's interest snapshots, with drift and trend",
      parameters: [
        pathId('userId', 'The user.'),
        { name: 'limit', in: 'query', description: `How many of the newest snapshots (default all ${historySize} kept).`, schema: { type: 'integer', minimum: 1, maximum: historySize } },
        { name: 'include', in: 'query', schema: { type: 'string', enum: ['vector'] } },
      ],
      responses: { 200: json(ref('History'), 'Snapshots oldest first (none before the first window closes).'), ...errors(400, 401, 403, 429, 503), ...errors(404), ...E431 },
    },
  };
}

/** GET recommendations: the one route with knobs (strategy, diversity, explain, exclusions). */
function recommendationsPath(maxLimit: number, common: Json): Json {
  return {
    get: {
      operationId: 'recommend',
      summary: 'Recommendations for a user',
      parameters: [
        pathId('userId', 'The user.'),
        limitParam(maxLimit),
        {
          name: 'strategy',
          in: 'query',
          description: "Absent: the user's A/B bucket (STRATEGY_BUCKETS) decides, else ema. hybrid = cosine + λ·log(1 + decayed views); multi = one search per interest vector, merged by importance-weighted quotas.",
          schema: { type: 'string', enum: [...STRATEGIES] },
        },
        { name: 'diversity', in: 'query', description: 'Maximal marginal relevance, 0 (order by score, default) to 1 (only avoid similar items).', schema: { type: 'number', minimum: 0, maximum: 1, default: 0 } },
        { name: 'explain', in: 'query', description: 'true: each item carries `because`, the answer `exclusions`.', schema: { type: 'boolean', default: false } },
        {
          name: 'exclude',
          in: 'query',
          description: `Comma list of ${EXCLUSIONS.join(', ')} to exclude (default both); \`none\` or empty excludes nothing.`,
          schema: { type: 'string', default: EXCLUSIONS.join(','), pattern: EXCLUDE_PATTERN },
        },
        FILTER_PARAM,
        AFTER_PARAM,
      ],
      responses: { 200: json(ref('Recommendations'), 'Recommendations (an unknown user gets cold_start).'), ...common },
    },
  };
}

/** The /v1 routes, `limit` capped at `maxLimit` (at `historySize` for history). */
export function v1Paths(maxLimit: number, historySize: number): Json {
  const common = { ...errors(400, 401, 403, 429, 503), ...E431 };
  return {
    '/v1/users/{userId}/recommendations': recommendationsPath(maxLimit, common),
    '/v1/users/{userId}/interest': {
      get: {
        operationId: 'getInterest',
        summary: "A summary of a user's interest state",
        parameters: [pathId('userId', 'The user.'), { name: 'include', in: 'query', schema: { type: 'string', enum: ['vector'] } }, AFTER_PARAM],
        responses: { 200: json(ref('Interest'), 'The state summary.'), ...common, ...errors(404) },
      },
    },
    '/v1/users/{userId}/history': historyPath(historySize),
    '/v1/items/{itemId}/similar': {
      get: {
        operationId: 'similarItems',
        summary: 'Items nearest to a catalogue item',
        parameters: [pathId('itemId', 'The item.'), limitParam(maxLimit), FILTER_PARAM],
        responses: {
          200: json({ type: 'object', required: ['itemId', 'items'], properties: { itemId: { type: 'string' }, items: { type: 'array', items: ref('Item') } } }, 'Nearest items.'),
          ...common,
          ...errors(404),
        },
      },
    },
    '/v1/users/{userId}': {
      delete: {
        operationId: 'eraseUser',
        summary: 'Erase a user: publishes ERASE and purges cached, durable and historical state',
        parameters: [pathId('userId', 'The user.')],
        responses: { 202: json(ref('Erasure'), 'The erasure id, and what the active generation held.'), ...common },
      },
    },
    '/v1/erasures/{erasureId}': {
      get: {
        operationId: 'getErasure',
        summary: 'Where an erasure stands: pending, then complete, with timestamps (needs only the read scope)',
        parameters: [{ name: 'erasureId', in: 'path', required: true, description: 'The id DELETE /v1/users/{userId} returned.', schema: { type: 'string', format: 'uuid' } }],
        responses: { 200: json(ref('ErasureStatus'), 'The erasure.'), ...common, ...errors(404) },
      },
    },
  };
}

/** The public operational routes (no key needed). */
export function opsPaths(): Json {
  const text = (description: string): Json => ({ description, content: { 'text/plain': { schema: { type: 'string' } } } });
  return {
    '/healthz': { get: { operationId: 'liveness', security: [], responses: { 200: json({ type: 'object' }, 'The process is alive.'), ...E431 } } },
    '/readyz': {
      get: {
        operationId: 'readiness',
        security: [],
        description: 'From a cached probe: the backends are checked at most once a second.',
        responses: { 200: json({ type: 'object' }, 'Ready.'), 503: json({ type: 'object' }, 'Not ready or shutting down.'), ...E431 },
      },
    },
    '/metrics': { get: { operationId: 'metrics', security: [], responses: { 200: text('Prometheus metrics.'), ...E431 } } },
    '/openapi.json': { get: { operationId: 'openapi', security: [], responses: { 200: json({ type: 'object' }, 'This document.'), ...E431 } } },
  };
}
