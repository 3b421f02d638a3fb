/**
 * One mapping from failures to what a client sees, used by HTTP and gRPC alike. Only client
 * errors carry their own message; anything unexpected becomes a plain "internal error" so that
 * messages and stack traces of libraries never leave the process (they go to the log instead).
 */
import { status as GrpcStatus } from '@grpc/grpc-js';
import { isInterestStreamError, type InterestStreamError } from '../domain/errors.js';
import { AccessError } from './access.js';
import { errorField } from './validation.js';

/** Every code a client can see, for the OpenAPI document. */
export const API_ERROR_CODES = ['INVALID_INPUT', 'NOT_FOUND', 'METHOD_NOT_ALLOWED', 'UNAUTHENTICATED', 'FORBIDDEN', 'RATE_LIMITED', 'OVERLOADED', 'UNAVAILABLE', 'INTERNAL'] as const;
export type ApiErrorCode = (typeof API_ERROR_CODES)[number];

export interface ApiError {
  readonly httpStatus: number;
  readonly grpcStatus: GrpcStatus;
  readonly code: ApiErrorCode;
  readonly message: string;
  readonly field?: string;
  readonly retryAfterMs?: number;
  /** True when the failure is ours (log it as an error), false for a client's mistake. */
  readonly serverFault: boolean;
}

const TABLE: Record<ApiErrorCode, { http: number; grpc: GrpcStatus }> = {
  INVALID_INPUT: { http: 400, grpc: GrpcStatus.INVALID_ARGUMENT },
  NOT_FOUND: { http: 404, grpc: GrpcStatus.NOT_FOUND },
  METHOD_NOT_ALLOWED: { http: 405, grpc: GrpcStatus.UNIMPLEMENTED },
  UNAUTHENTICATED: { http: 401, grpc: GrpcStatus.UNAUTHENTICATED },
  FORBIDDEN: { http: 403, grpc: GrpcStatus.PERMISSION_DENIED },
  RATE_LIMITED: { http: 429, grpc: GrpcStatus.RESOURCE_EXHAUSTED },
  OVERLOADED: { http: 503, grpc: GrpcStatus.UNAVAILABLE },
  UNAVAILABLE: { http: 503, grpc: GrpcStatus.UNAVAILABLE },
  INTERNAL: { http: 500, grpc: GrpcStatus.INTERNAL },
};

/** Builds the client-facing error for a code; `field` names the bad input where there is one. */
export function apiError(code: ApiErrorCode, message: string, extra: { field?: string; retryAfterMs?: number } = {}): ApiError {
  const t = TABLE[code];
  return { httpStatus: t.http, grpcStatus: t.grpc, code, message, ...extra, serverFault: code === 'UNAVAILABLE' || code === 'INTERNAL' };
}

// Names the cause without library text: which kind of backend, and the timeout when one expired.
function unavailableMessage(e: InterestStreamError): string {
  const timeoutMs = e.details.timeoutMs;
  if (e.code === 'BROKER_UNAVAILABLE') {
    return typeof timeoutMs === 'number' ? `Kafka did not take the event within ${timeoutMs} ms; retry later` : 'Kafka is unavailable; retry later';
  }
  return 'a backing service is unavailable; retry later';
}

/** Classifies anything thrown by a use case or a guard. */
export function toApiError(e: unknown): ApiError {
  if (e instanceof AccessError) {
    if (e.failure === 'unauthenticated') return apiError('UNAUTHENTICATED', e.message);
    if (e.failure === 'forbidden') return apiError('FORBIDDEN', e.message);
    return apiError(e.failure === 'overloaded' ? 'OVERLOADED' : 'RATE_LIMITED', e.message, { retryAfterMs: e.retryAfterMs });
  }
  if (isInterestStreamError(e)) {
    const field = errorField(e);
    const extra = field === undefined ? {} : { field };
    if (e.code === 'INVALID_INPUT') return apiError('INVALID_INPUT', e.message, extra);
    if (e.code === 'NOT_FOUND') return apiError('NOT_FOUND', e.message, extra);
    if (e.retryable) return apiError('UNAVAILABLE', unavailableMessage(e));
  }
  return apiError('INTERNAL', 'internal error');
}

/** The body of an HTTP error response: `error.field` names bad input; a 5xx carries the request id the log has the details under. */
export function errorBody(err: ApiError, requestId?: string): { error: { code: ApiErrorCode; message: string; field?: string; requestId?: string } } {
  const field = err.field === undefined ? {} : { field: err.field };
  const id = err.httpStatus >= 500 && requestId !== undefined ? { requestId } : {};
  return { error: { code: err.code, message: err.message, ...field, ...id } };
}
