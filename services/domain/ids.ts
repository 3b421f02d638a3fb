/**
 * The one rule for user and item ids, shared by the HTTP and gRPC APIs, the typed publisher and
 * ingest, so that any id ingest accepts can also be read and erased through the API.
 *
 * An id is 1–256 characters (Unicode code points, as JSON Schema's maxLength counts them), without
 * control characters (they corrupt logs and key layouts) and without `{` or `}` (a brace would
 * break the `{userId}` hash tag that keeps a user's Redis keys in one Redis Cluster slot), and not
 * `.` or `..` (HTTP clients resolve those as path segments, so such a user could never be addressed),
 * and well-formed Unicode: a lone UTF-16 surrogate (JSON can carry one as `\ud800`) encodes to
 * UTF-8 as U+FFFD, so "a\ud800" and "a\udc00" would both be the user "a\ufffd" — in Redis keys, on
 * the wire and in the vector store's point ids.
 */
export const MAX_ID_LENGTH = 256;

/**
 * The same rule as a regular expression (ECMA-262 with the `u` flag), for the OpenAPI document, over
 * the strings an HTTP client can send (well-formed Unicode: a URL cannot carry an unpaired
 * surrogate). It leaves surrogates out: API fuzzers' regex engines cannot generate from such a class.
 */
export const ID_PATTERN = '^(?!\\.\\.?$)[^\\u0000-\\u001f\\u007f-\\u009f{}]+$';

function isBadChar(code: number): boolean {
  return code < 0x20 || (code >= 0x7f && code <= 0x9f) || code === 0x7b || code === 0x7d;
}

/** Why `id` breaks the rule ("is empty", "is 300 characters long…"), or undefined when it is valid. */
export function idProblem(id: string): string | undefined {
  if (id.length === 0) return 'is empty';
  if (id === '.' || id === '..') return 'may not be "." or ".." (a path segment)';
  let length = 0;
  for (const ch of id) {
    length++;
    const code = ch.codePointAt(0)!;
    if (isBadChar(code)) return 'may not contain control characters or braces';
    // `for … of` yields a surrogate alone only when it is unpaired.
    if (code >= 0xd800 && code <= 0xdfff) return 'may not contain an unpaired UTF-16 surrogate (it is not Unicode text)';
  }
  if (length > MAX_ID_LENGTH) return `is ${length} characters long, at most ${MAX_ID_LENGTH} allowed`;
  return undefined;
}
