/** The /v1 routes: parse and validate, call the use case, render. Guards run in http.ts. */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { parseFilterSyntax } from './filter-syntax.js';
import type { RouteAccess } from './http.js';
import { rejectOtherMethods } from './method-not-allowed.js';
import type { QueryUseCases, Requester } from './use-cases.js';
import { parseDiversity, parseExplain, parseStrategyChoice } from './quality-params.js';
import { checkQueryParams, parseAfter, parseErasureId, parseExclude, parseHistoryLimit, parseId, parseIncludeVector, parseLimit, type Limits } from './validation.js';

type Req = FastifyRequest<{ Params: Record<string, string>; Querystring: Record<string, unknown> }>;

export const RECOMMEND_PARAMS = ['limit', 'strategy', 'exclude', 'filter', 'diversity', 'explain', 'after'] as const;
export const SIMILAR_PARAMS = ['limit', 'filter'] as const;
export const INTEREST_PARAMS = ['include', 'after'] as const;
export const HISTORY_PARAMS = ['include', 'limit'] as const;

const ERASE: { config: RouteAccess } = { config: { scope: 'erase' } };

/** Registers the /v1 routes; `limits` caps every `limit`; `requester` says who asked (for the erasure log). */
export function registerV1Routes(app: FastifyInstance, useCases: QueryUseCases, limits: Limits, requester: (req: FastifyRequest) => Requester): void {
  const { maxLimit, historySize } = limits;
  app.get('/v1/users/:userId/recommendations', async (req: Req) => {
    const userId = parseId('userId', req.params.userId);
    const q = checkQueryParams(req.query, RECOMMEND_PARAMS);
    return useCases.recommend({
      userId,
      limit: parseLimit(q.limit, maxLimit),
      strategy: parseStrategyChoice(q.strategy),
      exclude: parseExclude(q.exclude === undefined ? undefined : [q.exclude]),
      filter: parseFilterSyntax(q.filter),
      diversity: parseDiversity(q.diversity),
      explain: parseExplain(q.explain),
      after: parseAfter(q.after),
    });
  });

  app.get('/v1/users/:userId/interest', async (req: Req) => {
    const userId = parseId('userId', req.params.userId);
    const q = checkQueryParams(req.query, INTEREST_PARAMS);
    return useCases.interest({ userId, includeVector: parseIncludeVector(q.include), after: parseAfter(q.after) });
  });

  app.get('/v1/users/:userId/history', async (req: Req) => {
    const userId = parseId('userId', req.params.userId);
    const q = checkQueryParams(req.query, HISTORY_PARAMS);
    return useCases.history({ userId, limit: parseHistoryLimit(q.limit, historySize), includeVector: parseIncludeVector(q.include) });
  });

  app.get('/v1/items/:itemId/similar', async (req: Req) => {
    const itemId = parseId('itemId', req.params.itemId);
    const q = checkQueryParams(req.query, SIMILAR_PARAMS);
    const items = await useCases.similar({ itemId, limit: parseLimit(q.limit, maxLimit), filter: parseFilterSyntax(q.filter) });
    return { itemId, items };
  });

  app.delete('/v1/users/:userId', ERASE, async (req: Req, reply) => {
    const userId = parseId('userId', req.params.userId);
    checkQueryParams(req.query, []);
    const receipt = await useCases.erase(userId, requester(req));
    return reply.code(202).send(receipt);
  });

  // Reading an erasure's status needs only the read scope: it reveals no user data.
  app.get('/v1/erasures/:erasureId', async (req: Req) => {
    const erasureId = parseErasureId(req.params.erasureId);
    checkQueryParams(req.query, []);
    return useCases.erasure(erasureId);
  });

  for (const url of ['/v1/erasures/:erasureId', '/v1/users/:userId/recommendations', '/v1/users/:userId/interest', '/v1/users/:userId/history', '/v1/items/:itemId/similar']) {
    rejectOtherMethods(app, url, ['GET', 'HEAD']);
  }
  rejectOtherMethods(app, '/v1/users/:userId', ['DELETE']);
}
