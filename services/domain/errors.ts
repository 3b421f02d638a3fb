/**
 * The closed list of error codes. Each code says whether retrying the same work can succeed:
 * the consumer decides retry versus dead-letter from `retryable` alone.
 */
export const ERROR_CODES = {
  CONFIG_INVALID: false,
  DECODE_FAILED: false,
  UNKNOWN_EVENT_TYPE: false,
  INVALID_EVENT: false,
  INVALID_USER_ID: false,
  INVALID_ITEM_ID: false,
  UNKNOWN_ITEM: false,
  INVALID_TIMESTAMP: false,
  INVALID_ENVELOPE: false,
  INVALID_VECTOR: false,
  DIMENSION_MISMATCH: false,
  INVALID_INPUT: false,
  NOT_FOUND: false,
  STORE_UNAVAILABLE: true,
  BROKER_UNAVAILABLE: true,
  CONFLICT: true,
  INTERNAL: false,
} as const satisfies Record<string, boolean>;

export type ErrorCode = keyof typeof ERROR_CODES;

export class InterestStreamError extends Error {
  readonly code: ErrorCode;
  readonly retryable: boolean;
  /** Extra facts for logs and DLQ headers (never vectors, never secrets). */
  readonly details: Readonly<Record<string, string | number | boolean>>;

  constructor(
    code: ErrorCode,
    message: string,
    options: { cause?: unknown; details?: Record<string, string | number | boolean> } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'InterestStreamError';
    this.code = code;
    this.retryable = ERROR_CODES[code];
    this.details = Object.freeze({ ...(options.details ?? {}) });
  }
}

export function isInterestStreamError(e: unknown): e is InterestStreamError {
  return e instanceof InterestStreamError;
}

/** Wraps anything thrown by a library into a coded error, keeping it as the cause. */
export function toInterestStreamError(e: unknown, fallback: ErrorCode = 'INTERNAL'): InterestStreamError {
  if (isInterestStreamError(e)) return e;
  const message = e instanceof Error ? e.message : String(e);
  return new InterestStreamError(fallback, message, { cause: e });
}
