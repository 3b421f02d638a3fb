/**
 * The OpenAPI 3.1 document served at /openapi.json, built from the same constants the validation
 * uses so it cannot drift from the code. docs/openapi.json is a committed copy (a unit test keeps
 * them equal; regenerate with `npx tsx -e` printing `buildOpenApi(200, 20)` after a change).
 */
import { ID_PATTERN } from '../domain/ids.js';
import { API_ERROR_CODES } from './api-errors.js';
import { MAX_FILTER_LENGTH } from './filter-syntax.js';
import { MAX_TOKEN_LENGTH } from '../core/consistency-token.js';
import { DEFAULT_LIMIT, EXCLUSIONS, MAX_ID_LENGTH, STRATEGIES } from './validation.js';

type Json = Record<string, unknown>;

const ref = (name: string): Json => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: Json, description: string): Json => ({ description, content: { 'application/json': { schema } } });
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

const FRESHNESS: Json = {
  type: 'object',
  required: ['eventCount', 'updatedAt'],
  properties: {
    eventCount: { type: 'integer' },
    updatedAt: { type: ['integer', 'null'], description: 'Epoch ms of the last folded event.' },
    caughtUp: {
      type: 'boolean',
      description: 'Only with `after`: true when ingest had folded the events it names; false when AFTER_WAIT_MS ran out first (the answer may not reflect them).',
    },
  },
};

const EXCLUDE_WORD = `(${EXCLUSIONS.join('|')})`;
/** `exclude`: empty, `none`, or a comma list of the exclusions (spaces around items allowed). */
export const EXCLUDE_PATTERN = `^\\s*(none|${EXCLUDE_WORD}(\\s*,\\s*${EXCLUDE_WORD})*)?\\s*$`;

const ITEM: Json = {
  type: 'object',
  required: ['id', 'score', 'payload'],
  properties: {
    id: { type: 'string' },
    score: { type: 'number', description: 'Cosine similarity; for cold-start results the decayed view count.' },
    payload: { type: 'object', additionalProperties: true },
    because: { type: 'array', items: ref('Contribution'), description: 'With explain=true: the recent views that contributed most, largest first.' },
    interest: { type: 'integer', minimum: 0, description: "strategy=multi: which of the user's interests found the item, 0 for the most important." },
  },
};

const CONTRIBUTION: Json = {
  type: 'object',
  required: ['itemId', 'cosine', 'weight', 'contribution'],
  properties: {
    itemId: { type: 'string', description: 'A recently viewed item.' },
    cosine: { type: 'number', description: 'Cosine between the recommended item and this view.' },
    weight: { type: 'number', description: "The view's weight in the EMA interest vector: α(1 − α)^age, age 0 for the newest view." },
    contribution: { type: 'number', description: 'cosine × weight.' },
  },
};

const RECOMMENDATIONS: Json = {
  type: 'object',
  required: ['userId', 'strategy', 'bucket', 'fallback', 'items', 'freshness'],
  properties: {
    userId: { type: 'string' },
    strategy: { type: 'string', enum: [...STRATEGIES] },
    bucket: { type: ['string', 'null'], description: 'The A/B bucket (`hybrid:50`) that chose the strategy; null when the request named one or STRATEGY_BUCKETS is empty.' },
    impressionId: { type: 'string', description: 'With IMPRESSIONS_TOPIC: the id of the impression record written for this answer.' },
    exclusions: {
      type: 'object',
      description: "With explain=true: how many of the user's seen and disliked items were kept out.",
      required: ['seen', 'disliked'],
      properties: { seen: { type: 'integer' }, disliked: { type: 'integer' } },
    },
    fallback: { type: ['string', 'null'], enum: [null, 'cold_start', 'insufficient_history'] },
    items: { type: 'array', items: ref('Item') },
    freshness: ref('Freshness'),
  },
};

const INTEREST: Json = {
  type: 'object',
  required: ['userId', 'source', 'hasVector', 'dimension', 'eventCount', 'updatedAt', 'recentViews', 'seenCount', 'dislikedCount', 'degenerateUpdates', 'interests'],
  properties: {
    userId: { type: 'string' },
    source: { type: 'string', enum: ['redis', 'durable'] },
    hasVector: { type: 'boolean' },
    dimension: { type: ['integer', 'null'] },
    eventCount: { type: 'integer' },
    updatedAt: { type: ['integer', 'null'] },
    recentViews: { type: 'array', items: { type: 'string' } },
    seenCount: { type: 'integer' },
    dislikedCount: { type: 'integer' },
    degenerateUpdates: { type: 'integer' },
    interests: { type: 'integer', description: 'Interest vectors kept for strategy=multi (0 with MULTI_INTERESTS=0).' },
    vector: { type: 'array', items: { type: 'number' }, description: 'Only with include=vector.' },
    freshness: { ...ref('Freshness'), description: 'Only with `after`.' },
  },
};

const SNAPSHOT: Json = {
  type: 'object',
  required: ['window', 'takenAt', 'eventCount', 'watermark'],
  properties: {
    window: { type: 'integer', description: 'Event-time window: floor(occurredAt / SNAPSHOT_INTERVAL_MS).' },
    takenAt: { type: 'integer', description: "Epoch ms: the window's last millisecond." },
    eventCount: { type: 'integer' },
    watermark: { type: 'string', description: '`partition:offset` of the last event folded into the snapshot.' },
    vector: { type: 'array', items: { type: 'number' }, description: 'Only with include=vector.' },
  },
};

const HISTORY: Json = {
  type: 'object',
  required: ['userId', 'generation', 'snapshots', 'drift', 'trend'],
  properties: {
    userId: { type: 'string' },
    generation: { type: 'string', description: 'The generation the history was read from.' },
    snapshots: { type: 'array', items: ref('Snapshot'), description: 'Oldest first.' },
    drift: { type: ['number', 'null'], description: '1 − cos(older half, newer half) of `snapshots`; null with fewer than 2.' },
    trend: {
      type: ['object', 'null'],
      description: 'What strategy=trend uses now, whatever `limit` is; null when it falls back to ema.',
      required: ['windowsUsed', 'drift'],
      properties: { windowsUsed: { type: 'integer' }, drift: { type: 'number' } },
    },
  },
};

const ERASURE: Json = {
  type: 'object',
  required: ['erasureId', 'userId', 'eventId', 'status', 'requestedAt', 'purged'],
  properties: {
    erasureId: { type: 'string', format: 'uuid', description: 'Poll GET /v1/erasures/{erasureId} until `complete`.' },
    userId: { type: 'string' },
    eventId: { type: 'string', description: 'Id of the ERASE event published to the interactions topic (the erasure id).' },
    status: { type: 'string', enum: ['pending'] },
    requestedAt: { type: 'integer', description: 'Epoch ms.' },
    purged: {
      type: 'object',
      required: ['redis', 'durable', 'historySnapshots'],
      properties: { redis: { type: 'boolean' }, durable: { type: 'boolean' }, historySnapshots: { type: 'integer' } },
    },
  },
};

const ERASURE_STATUS: Json = {
  type: 'object',
  required: ['erasureId', 'status', 'requestedAt', 'foldedAt', 'completedAt'],
  properties: {
    erasureId: { type: 'string', format: 'uuid' },
    status: { type: 'string', enum: ['pending', 'complete'], description: 'complete: ingest has folded the ERASE and every store is purged (docs/privacy.md).' },
    requestedAt: { type: 'integer', description: 'Epoch ms.' },
    foldedAt: { type: ['integer', 'null'], description: 'Epoch ms when ingest folded the ERASE; null before.' },
    completedAt: { type: ['integer', 'null'], description: 'Epoch ms when every store was purged; null before.' },
  },
};

const ERROR: Json = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: {
        code: { type: 'string', enum: [...API_ERROR_CODES] },
        message: { type: 'string' },
        field: { type: 'string', description: 'The offending input, for INVALID_INPUT.' },
        requestId: { type: 'string', description: 'On 5xx: the id the service logged the details under (also the x-request-id header).' },
      },
    },
  },
};

const ERROR_RESPONSES: Record<number, string> = {
  400: 'Invalid input; `error.field` names it.',
  401: 'Missing or invalid API key (only when keys are configured).',
  403: 'The API key lacks the scope the call needs (erasure needs `erase`).',
  404: 'Not found.',
  429: 'Rate limit exceeded; the message names the limit, Retry-After says when to retry.',
  503: 'A backing service is unavailable, or the service is at capacity (OVERLOADED, with Retry-After).',
};

const RETRY_AFTER: Json = { 'retry-after': { description: 'Seconds to wait before retrying.', schema: { type: 'string', pattern: '^[0-9]+$' } } };

/** 431 comes from the HTTP server itself (request line and headers over 64 KiB), before any route. */
const E431: Json = { 431: { description: 'Request line and header fields together over 64 KiB (answered by the HTTP server before routing).' } };

function errorResponse(status: number, description: string): Json {
  const response = json(ref('Error'), description);
  return status === 429 || status === 503 ? { ...response, headers: RETRY_AFTER } : response;
}

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

function v1Paths(maxLimit: number, historySize: number): Json {
  const common = { ...errors(400, 401, 403, 429, 503), ...E431 };
  return {
    '/v1/users/{userId}/recommendations': {
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
    },
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

function opsPaths(): Json {
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
      schemas: { Item: ITEM, Contribution: CONTRIBUTION, Recommendations: RECOMMENDATIONS, Freshness: FRESHNESS, Interest: INTEREST, Snapshot: SNAPSHOT, History: HISTORY, Erasure: ERASURE, ErasureStatus: ERASURE_STATUS, Error: ERROR },
      responses: Object.fromEntries(Object.entries(ERROR_RESPONSES).map(([s, d]) => [`E${s}`, errorResponse(Number(s), d)])),
    },
  };
}
