import { randomUUID } from 'node:crypto';

/** A unique name per test, so tests never share topics, groups, key prefixes or collections. */
export function unique(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}
