/**
 * Qdrant failures as coded errors, and the retry policy for the transient ones. The rule: only a
 * failure that the same request can outgrow (the server busy, restarting, unreachable, too slow:
 * 5xx, 429, and 408, which Qdrant answers when an operation times out on its side) is
 * retryable; anything the server refused for what the request *is* — too large, malformed, already
 * existing, unauthorised — is not, because the durable writer would otherwise repeat it forever.
 */
import { InterestStreamError, isInterestStreamError, type ErrorCode } from '../../domain/errors.js';

type HttpFailure = { status: number; data?: { status?: { error?: string } } | string };

/** Client errors that carry no HTTP status but are transient (names from @qdrant/js-client-rest). */
const TRANSIENT_CLIENT_ERRORS = new Set(['QdrantClientTimeoutError', 'QdrantClientResourceExhaustedError', 'AbortError', 'TimeoutError']);

function httpFailure(e: unknown): HttpFailure | undefined {
  const status = (e as { status?: unknown } | null)?.status;
  return typeof status === 'number' ? (e as HttpFailure) : undefined;
}

/** Qdrant's wording when a body exceeds service.max_request_size_mb. */
export function isPayloadTooLarge(status: number, message: string): boolean {
  return status === 413 || (status === 400 && /payload .*larger than allowed|too large/i.test(message));
}

function codeFor(e: unknown, message: string): ErrorCode {
  const http = httpFailure(e);
  if (http === undefined) {
    // fetch() rejects with a TypeError when the connection fails; everything else is our bug.
    const transient = e instanceof TypeError || (e instanceof Error && TRANSIENT_CLIENT_ERRORS.has(e.name));
    return transient ? 'STORE_UNAVAILABLE' : 'INTERNAL';
  }
  const { status } = http;
  // 408 is Qdrant's own timeout (StorageError::Timeout: a wait or a consensus commit ran out of time).
  if (status === 408 || status === 429 || status >= 500) return 'STORE_UNAVAILABLE';
  if (status === 401 || status === 403) return 'CONFIG_INVALID';
  if (status === 404) return 'NOT_FOUND';
  // "already exists": repeating the request meets the same object, so not CONFLICT (retryable).
  if (status === 409) return 'INVALID_INPUT';
  if (isPayloadTooLarge(status, message)) return 'INVALID_INPUT';
  if (status === 400 || status === 422) return /dimension/i.test(message) ? 'DIMENSION_MISMATCH' : 'INVALID_INPUT';
  return 'INTERNAL';
}

function hint(e: unknown, message: string): string {
  const status = httpFailure(e)?.status;
  if (status === undefined) return '';
  if (isPayloadTooLarge(status, message)) {
    return ' (the request exceeds the server\'s service.max_request_size_mb: lower QDRANT_MAX_REQUEST_BYTES / QDRANT_UPSERT_MAX_POINTS or raise the server limit)';
  }
  if (status === 401 || status === 403) return ' (check QDRANT_API_KEY)';
  return '';
}

/**
 * What the server said: Qdrant's JSON `status.error`, or a plain-text body (its 401/403 for a
 * missing or wrong API key are plain text), cut short; else the client's message.
 */
function detailOf(e: unknown): string {
  const data = httpFailure(e)?.data;
  if (typeof data === 'string' && data.trim() !== '') return data.trim().slice(0, 200);
  if (typeof data === 'object' && typeof data.status?.error === 'string') return data.status.error;
  return e instanceof Error ? e.message : String(e);
}

/** Library and HTTP errors become coded ones, keeping the original as `cause`. */
export function translateQdrantError(e: unknown, what: string): InterestStreamError {
  if (isInterestStreamError(e)) return e;
  const detail = detailOf(e);
  const status = httpFailure(e)?.status;
  return new InterestStreamError(codeFor(e, detail), `qdrant: ${what}: ${detail}${hint(e, detail)}`, {
    cause: e,
    details: status === undefined ? {} : { httpStatus: status },
  });
}

export interface RetryPolicy {
  /** Attempts in all, the first included (1 = no retry). */
  readonly attempts: number;
  /** Delay before the first retry; doubles each time, with jitter, up to `maxDelayMs`. */
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
}

/** The delay before retry number `retry` (0-based): exponential, half of it jittered. */
export function backoffDelay(policy: RetryPolicy, retry: number, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** retry);
  return Math.round(ceiling / 2 + (ceiling / 2) * random());
}

/** Seconds the server asked us to wait (429 with Retry-After), if it said. */
function retryAfterMs(e: unknown): number | undefined {
  const cause = e instanceof Error ? e.cause : undefined;
  const seconds = (cause as { retry_after?: unknown } | undefined)?.retry_after;
  return typeof seconds === 'number' && seconds >= 0 ? seconds * 1000 : undefined;
}

/**
 * Runs `op`, translating its failure; a retryable failure is tried again after a backoff until
 * `policy.attempts` are spent, then the last error is thrown. Idempotent operations only.
 */
export async function withQdrantRetries<T>(
  what: string,
  op: () => Promise<T>,
  policy: RetryPolicy,
  sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await op();
    } catch (e) {
      const error = translateQdrantError(e, what);
      if (!error.retryable || attempt >= policy.attempts) throw error;
      await sleep(Math.min(policy.maxDelayMs, retryAfterMs(error) ?? backoffDelay(policy, attempt - 1)));
    }
  }
}
