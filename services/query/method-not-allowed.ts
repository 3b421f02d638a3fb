import { METHODS as NODE_METHODS } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { apiError, errorBody } from './api-errors.js';
import type { RouteAccess } from './http.js';

/**
 * Teaches the router every method Node's parser accepts (QUERY, PROPFIND, ...), so that a known
 * path answers them 405 like TRACE, not 404. CONNECT is left out: its target is an authority, not a path.
 */
export function knowAllMethods(app: FastifyInstance): void {
  for (const m of NODE_METHODS) if (m !== 'CONNECT' && !app.supportedMethods.includes(m)) app.addHttpMethod(m);
}

/**
 * Registers `url` for every method it does not serve, answering 405 with `Allow` instead of the
 * router's 404 (TRACE on a real path is not "not found"). The route carries the path's access
 * config, so a non-public path still asks for a key first. `allowed` lists the served methods
 * (GET routes serve HEAD too). Call knowAllMethods first.
 */
export function rejectOtherMethods(app: FastifyInstance, url: string, allowed: readonly string[], config: RouteAccess = {}): void {
  const allow = allowed.join(', ');
  const others = app.supportedMethods.filter((m) => m !== 'CONNECT' && !allowed.includes(m));
  app.route({
    method: [...others],
    url,
    config,
    handler: async (req, reply) => {
      const err = apiError('METHOD_NOT_ALLOWED', `${req.method} is not allowed on this path; allowed: ${allow}`);
      return reply.code(405).header('allow', allow).type('application/json').send(errorBody(err, req.id));
    },
  });
}
