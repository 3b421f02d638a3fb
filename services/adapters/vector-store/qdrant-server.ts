/**
 * Which Qdrant servers the adapter can talk to, and how the REST client is pointed at one.
 *
 * The oldest server accepted is 1.16: the conditional upsert (`upsertIfNewer`) relies on the
 * `update_filter` of an upsert, added in 1.16.0. An older server parses the request all the same and
 * drops the field it does not know, so every conditional write would land unconditionally and a
 * stale user vector would silently replace a newer one. (The Query API used by `search` is 1.10+.)
 */
import { InterestStreamError } from '../../domain/errors.js';
import type { Logger } from '../../core/logger.js';

export const MIN_QDRANT_VERSION = { major: 1, minor: 16 } as const;

/**
 * Throws CONFIG_INVALID for a server older than MIN_QDRANT_VERSION. A version that cannot be read
 * (a development build) is let through with a warning: refusing it would help nobody.
 */
export function checkServerVersion(version: string, log: Logger): void {
  const m = /^v?(\d+)\.(\d+)/.exec(version);
  if (m === null) {
    log.warn({ version }, `qdrant version unreadable; this adapter needs ${MIN_QDRANT_VERSION.major}.${MIN_QDRANT_VERSION.minor} or newer`);
    return;
  }
  const [major, minor] = [Number(m[1]), Number(m[2])];
  if (major > MIN_QDRANT_VERSION.major || (major === MIN_QDRANT_VERSION.major && minor >= MIN_QDRANT_VERSION.minor)) return;
  throw new InterestStreamError(
    'CONFIG_INVALID',
    `qdrant ${version} is too old: interest-stream needs ${MIN_QDRANT_VERSION.major}.${MIN_QDRANT_VERSION.minor} or newer (older servers ignore the conditional upsert's update_filter, so stale writes would replace newer ones)`,
    { details: { version } },
  );
}

/**
 * QDRANT_URL as the client's `url` and `prefix`. @qdrant/js-client-rest keeps only the scheme, host
 * and port of `url` and silently drops its path, so a server behind a reverse proxy at
 * `https://gw/qdrant` would be asked `https://gw/collections/...`; the path has to go in `prefix`.
 * (A URL without a port means 6333 to the client, even for https.)
 */
export function clientAddress(url: string): { url: string; prefix?: string } {
  // Anything but an http(s) URL goes through untouched, for the client to refuse with its own message.
  if (!/^https?:\/\//.test(url) || !URL.canParse(url)) return { url };
  const parsed = new URL(url);
  const path = parsed.pathname.replace(/\/+$/, '');
  return path === '' ? { url } : { url: `${parsed.protocol}//${parsed.host}`, prefix: path };
}
