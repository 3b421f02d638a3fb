/**
 * The /ui page and the two /v1 reads only it needs. The page's static files (built by
 * `npm run build` into dist/ui) are public; its data calls go through the normal /v1 API, so the
 * API key guard applies to them like to any client. Files are served from a list made at start-up,
 * so no request path ever reaches the file system.
 */
import type { RouteAccess } from './http.js';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { VectorStore } from '../domain/ports/index.js';
import { InterestStreamError } from '../domain/errors.js';
import type { OpsSummarySource } from './ops-summary.js';
import { trajectory } from './trajectory.js';
import type { QueryUseCases } from './use-cases.js';
import { checkQueryParams, parseHistoryLimit, parseId } from './validation.js';

export interface UiDeps {
  readonly useCases: QueryUseCases;
  readonly vectors: VectorStore;
  readonly itemsCollection: string;
  readonly historySize: number;
  readonly ops: OpsSummarySource;
  /** Where the built page is; found next to the code (dist/ui) when absent. */
  readonly dir?: string;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.json': 'application/json',
};

/**
 * dist/ui seen from services/query (run from source) or from dist/services/query (built). Only a
 * built page has assets/: the page's sources in ui/ are never served.
 */
export function findUiDir(here = path.dirname(fileURLToPath(import.meta.url))): string | undefined {
  return [path.join(here, '..', '..', 'dist', 'ui'), path.join(here, '..', '..', 'ui')].find((d) => existsSync(path.join(d, 'assets')));
}

function listFiles(dir: string, prefix = ''): Map<string, string> {
  const out = new Map<string, string>();
  for (const name of readdirSync(dir)) {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) for (const [k, v] of listFiles(full, `${prefix}${name}/`)) out.set(k, v);
    else out.set(`${prefix}${name}`, full);
  }
  return out;
}

type Req = FastifyRequest<{ Params: Record<string, string>; Querystring: Record<string, unknown> }>;

export function registerUi(app: FastifyInstance, deps: UiDeps): void {
  const dir = deps.dir ?? findUiDir();
  const files = dir ? listFiles(dir) : new Map<string, string>();
  // The page's files hold no data: public, like /openapi.json. Its data comes from the key-protected reads below.
  const open = { config: { public: true } satisfies RouteAccess };
  app.get('/ui', open, async (_req, reply) => reply.redirect('/ui/'));
  app.get('/ui/*', open, async (req: Req, reply) => {
    const name = req.params['*'] || 'index.html';
    const file = files.get(name);
    if (file === undefined) {
      throw new InterestStreamError('NOT_FOUND', dir ? `no file ${name} in the page` : 'the /ui page is not built: run `npm run build`');
    }
    const immutable = name.startsWith('assets/');
    return reply
      .type(TYPES[path.extname(name)] ?? 'application/octet-stream')
      .header('cache-control', immutable ? 'public, max-age=31536000, immutable' : 'no-cache')
      .send(readFileSync(file));
  });
  app.get('/v1/ops/summary', async () => deps.ops.summary());
  app.get('/v1/users/:userId/trajectory', async (req: Req) => {
    const userId = parseId('userId', req.params.userId);
    const q = checkQueryParams(req.query, ['limit']);
    return trajectory(deps, userId, parseHistoryLimit(q.limit, deps.historySize));
  });
}
