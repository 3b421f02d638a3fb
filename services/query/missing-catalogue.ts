/** Before any catalogue import the items collection does not exist: reads then answer empty, not an error. */
import { InterestStreamError } from '../core/errors.js';

function isMissingCollection(e: unknown): boolean {
  return e instanceof InterestStreamError && e.code === 'NOT_FOUND';
}

export function ignoreMissingCollection(e: unknown): void {
  if (!isMissingCollection(e)) throw e;
}

/** A rejection handler answering `empty` when the items collection does not exist yet. */
export function noCatalogue<T>(empty: T): (e: unknown) => T {
  return (e) => {
    if (isMissingCollection(e)) return empty;
    throw e;
  };
}
