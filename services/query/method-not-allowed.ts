import type { FastifyInstance } from 'fastify';
import { apiError, errorBody } from './api-errors.js';
import type { RouteAccess } from './http.js';

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'TRACE'] as const;

/**
 * Registers `url` for every method it does not serve, answering 405 with `Allow` instead of the
 * router's 404 (TRACE on a real path is not "not found"). The route carries the path's access
 * config, so a non-public path still asks for a key first. `allowed` lists the served methods
 * (GET routes serve HEAD too).
 */
export function rejectOtherMethods(app: FastifyInstance, url: string, allowed: readonly string[], config: RouteAccess = {}): void {
  const allow = allowed.join(', ');
  const others = METHODS.filter((m) => !allowed.includes(m));
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
