/**
 * Splits items, in order, into chunks of at most `maxCount` items and `maxBytes` by `size`. An item
 * larger than `maxBytes` on its own gets a chunk of its own: whether it may go at all is the
 * caller's decision, not the splitter's.
 */
export function chunkBy<T>(items: readonly T[], size: (item: T) => number, limits: { readonly maxBytes: number; readonly maxCount?: number }): T[][] {
  const maxCount = limits.maxCount ?? Number.MAX_SAFE_INTEGER;
  const chunks: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const item of items) {
    const n = size(item);
    if (current.length > 0 && (current.length >= maxCount || bytes + n > limits.maxBytes)) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(item);
    bytes += n;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}
