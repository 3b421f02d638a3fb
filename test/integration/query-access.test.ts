import { status as GrpcStatus } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createRootLogger } from '../../services/core/logger.js';
import { loadProtos } from '../../services/query/grpc-protos.js';
import { grpcError, startFixture, userState, type QueryFixture } from '../support/query-fixture.js';
import { rawRequest } from '../support/raw-http.js';

const KEYS = 'reader:read:read-secret,eraser:erase:erase-secret';
const READ = 'read-secret';
const ERASE = 'erase-secret';

// Every spelling routes (or would route, before the fix) to a /v1 operation on the victim.
const BYPASSES = [
  'GET /%761/users/victim/history HTTP/1.1',
  'DELETE /%761/users/victim HTTP/1.1',
  'GET /%76%31/users/victim/recommendations HTTP/1.1',
  'GET /v1/%75sers/victim/interest HTTP/1.1',
  'GET /v1/users/%76ictim/interest HTTP/1.1',
  'DELETE http://x/v1/users/victim HTTP/1.1',
  'GET http://x/v1/users/victim/history HTTP/1.1',
  'GET HTTP://127.0.0.1/v1/users/victim/interest HTTP/1.1',
  'GET //v1/users/victim/history HTTP/1.1',
  'DELETE //v1/users/victim HTTP/1.1',
  'GET /./v1/users/victim/history HTTP/1.1',
  'GET /v1/./users/victim/interest HTTP/1.1',
  'GET /x/../v1/users/victim/interest HTTP/1.1',
  'GET /V1/users/victim/history HTTP/1.1',
  'GET /v1/USERS/victim/interest HTTP/1.1',
  'DELETE /V1/Users/victim HTTP/1.1',
  'GET /v1/users/victim/history? HTTP/1.1',
  'DELETE /v1/users/victim? HTTP/1.1',
  'GET /v1/users/victim/history/ HTTP/1.1',
  'GET /v1/users/victim/history;x HTTP/1.1',
  'GET /v1/users/victim/history HTTP/1.0',
  'DELETE /v1/users/victim HTTP/1.0',
  'HEAD /v1/users/victim/interest HTTP/1.1',
  'TRACE /v1/users/victim HTTP/1.1',
  'OPTIONS /v1/users/victim HTTP/1.1',
  'QUERY /v1/users/victim/history HTTP/1.1',
  'PROPFIND /v1/users/victim HTTP/1.1',
  'GET /v1/nothing-here HTTP/1.1',
];

describe('query service: access decided on the matched route', () => {
  let f: QueryFixture;
  const logs: Array<Record<string, unknown>> = [];

  beforeAll(async () => {
    const logger = createRootLogger({ level: 'info', name: 'query-access' }, { write: (line: string) => void logs.push(JSON.parse(line) as Record<string, unknown>) });
    f = await startFixture({ redisUrl: inject('redisUrl'), kafkaBrokers: inject('kafkaBrokers'), env: { API_KEYS: KEYS, AUTH_FAILURES_PER_MINUTE: '1000' }, logger });
    await f.users.putMany([userState('victim'), userState('gone')]);
  });
  afterAll(async () => {
    await f.close();
  });

  it.each(BYPASSES)('%s without a key is 401', async (line) => {
    const res = await rawRequest(f.service.httpPort, line);
    expect(res.status).toBe(401);
  });

  it('the victim survived every unauthenticated DELETE, and the same requests with a key reach the routes', async () => {
    expect((await f.users.getMany(['victim'])).has('victim')).toBe(true);
    const auth = { authorization: `Bearer ${READ}` };
    expect((await rawRequest(f.service.httpPort, 'GET /%761/users/victim/interest HTTP/1.1', auth)).status).toBe(200);
    expect((await rawRequest(f.service.httpPort, 'GET http://x/v1/users/victim/interest HTTP/1.1', auth)).status).toBe(200);
    expect((await rawRequest(f.service.httpPort, 'GET /v1/users/victim/interest HTTP/1.0', auth)).status).toBe(200);
    const trace = await rawRequest(f.service.httpPort, 'TRACE /v1/users/victim HTTP/1.1', auth);
    expect(trace.status).toBe(405);
    expect(trace.head.toLowerCase()).toContain('allow: delete');
    const query = await rawRequest(f.service.httpPort, 'QUERY /v1/users/victim/interest HTTP/1.1', auth);
    expect(query.status).toBe(405);
    expect(query.head.toLowerCase()).toContain('allow: get, head');
  });

  it('keeps /healthz, /readyz, /metrics and /openapi.json public, however spelled', async () => {
    for (const path of ['/healthz', '/readyz', '/metrics', '/openapi.json', '/%68ealthz']) {
      expect((await rawRequest(f.service.httpPort, `GET ${path} HTTP/1.1`)).status).toBe(200);
    }
  });

  it('answers every gRPC method without metadata with UNAUTHENTICATED', async () => {
    const methods = Object.keys(loadProtos().recommendations.service);
    expect(methods.sort()).toEqual(['Erase', 'GetErasure', 'GetHistory', 'GetInterest', 'Recommend', 'SimilarItems']);
    for (const m of methods) {
      expect((await grpcError(f.grpcCall(m, { user_id: 'victim', item_id: 'item-01' }, null))).code, m).toBe(GrpcStatus.UNAUTHENTICATED);
    }
  });

  it('gives a read key 403 / PERMISSION_DENIED on erasure and lets an erase key erase, logging who erased whom', async () => {
    const refused = await f.http('/v1/users/victim', { method: 'DELETE', key: READ });
    expect(refused).toMatchObject({ status: 403, body: { error: { code: 'FORBIDDEN', message: 'API key "reader" has the read scope; this call needs erase' } } });
    expect((await grpcError(f.grpcCall('Erase', { user_id: 'victim' }, READ))).code).toBe(GrpcStatus.PERMISSION_DENIED);
    expect((await f.http('/v1/users/victim/interest', { key: READ })).status).toBe(200);

    const erased = await f.http('/v1/users/victim', { method: 'DELETE', key: ERASE });
    expect(erased.status).toBe(202);
    expect(erased.body).toMatchObject({ userId: 'victim', purged: { redis: true } });
    expect((await f.http('/v1/users/victim/interest', { key: READ })).status).toBe(404);
    const viaGrpc = await f.grpcCall('Erase', { user_id: 'gone' }, ERASE);
    expect(viaGrpc).toMatchObject({ user_id: 'gone', erasure_id: viaGrpc.event_id, purged: { redis: true, durable: false, history_snapshots: 0 } });
    // Reading where an erasure stands needs only the read scope; no ingest runs here, so it stays pending.
    const status = await f.http(`/v1/erasures/${erased.body.erasureId}`, { key: READ });
    expect(status).toMatchObject({ status: 200, body: { erasureId: erased.body.erasureId, status: 'pending', requestedAt: erased.body.requestedAt, foldedAt: null, completedAt: null } });
    const viaGrpcStatus = await f.grpcCall('GetErasure', { erasure_id: viaGrpc.erasure_id }, READ);
    expect(viaGrpcStatus).toEqual({ erasure_id: viaGrpc.erasure_id, status: 'pending', requested_at: viaGrpc.requested_at, folded_at: 0, completed_at: 0 });

    const audit = logs.filter((l) => l.msg === 'user erased');
    expect(audit.map((l) => [l.level, l.keyId, l.userId])).toEqual([
      [30, 'eraser', 'victim'],
      [30, 'eraser', 'gone'],
    ]);
    expect(audit[0]!.requestId).toBe(erased.headers.get('x-request-id'));
    expect(typeof audit[1]!.requestId).toBe('string');
    expect(JSON.stringify(logs)).not.toContain(ERASE);
  });

  it('serves a 256-character id, refuses 257 naming userId, and answers an unknown user with the product 404', async () => {
    const id256 = 'u'.repeat(256);
    expect((await f.http(`/v1/users/${id256}/recommendations`, { key: READ })).status).toBe(200);
    const unknown = await f.http(`/v1/users/${id256}/interest`, { key: READ });
    expect(unknown.status).toBe(404);
    expect(unknown.body).toEqual({ error: { code: 'NOT_FOUND', message: `user "${id256}" has no interest state`, field: 'userId' } });
    const long = await f.http(`/v1/users/${'u'.repeat(257)}/recommendations`, { key: READ });
    expect(long).toMatchObject({ status: 400, body: { error: { code: 'INVALID_INPUT', field: 'userId', message: 'userId is 257 characters long, at most 256 allowed' } } });
    const braces = await f.http(`/v1/users/a%7Bb/interest`, { key: READ });
    expect(braces.body.error).toEqual({ code: 'INVALID_INPUT', field: 'userId', message: 'userId may not contain control characters or braces' });
    expect((await grpcError(f.grpcCall('Recommend', { user_id: 'u'.repeat(257) }, READ))).field).toBe('userId');
    expect((await grpcError(f.grpcCall('Erase', { user_id: 'a}b' }, ERASE))).code).toBe(GrpcStatus.INVALID_ARGUMENT);
  });
});
