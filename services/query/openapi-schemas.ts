/**
 * The component schemas of the OpenAPI document (openapi.ts): the bodies the query API answers
 * with, built from the same constants the code uses so they cannot drift from it.
 */
import { API_ERROR_CODES } from './api-errors.js';
import { STRATEGIES } from './validation.js';

export type Json = Record<string, unknown>;

export const ref = (name: string): Json => ({ $ref: `#/components/schemas/${name}` });
export const json = (schema: Json, description: string): Json => ({ description, content: { 'application/json': { schema } } });

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

/** Every schema under `components.schemas`, in the order the document lists them. */
export const SCHEMAS: Json = {
  Item: ITEM,
  Contribution: CONTRIBUTION,
  Recommendations: RECOMMENDATIONS,
  Freshness: FRESHNESS,
  Interest: INTEREST,
  Snapshot: SNAPSHOT,
  History: HISTORY,
  Erasure: ERASURE,
  ErasureStatus: ERASURE_STATUS,
  Error: ERROR,
};
