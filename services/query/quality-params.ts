/** Request parameters of issue 16 (strategy by bucket, diversity, explain), shared by HTTP and gRPC. */
import { invalidField, parseStrategy, type Strategy } from './validation.js';

/** `strategy`: absent means "let the user's A/B bucket decide" (undefined); otherwise as parseStrategy. */
export function parseStrategyChoice(value: string | undefined): Strategy | undefined {
  // Absent: the user's A/B bucket decides. Present but empty is a 400 like any unknown strategy.
  return value === undefined ? undefined : parseStrategy(value);
}

/** `diversity`: a number from 0 (default: order by score) to 1 (only avoid similar items). */
export function parseDiversity(value: string | number | undefined): number {
  if (value === undefined || value === '') return 0;
  const n = typeof value === 'number' ? value : /^\s*[0-9.eE+-]+\s*$/.test(value) ? Number(value) : NaN;
  if (!(Number.isFinite(n) && n >= 0 && n <= 1)) throw invalidField('diversity', `diversity must be a number from 0 to 1, got ${JSON.stringify(String(value))}`);
  return n;
}

/** `explain`: true or false (default false). */
export function parseExplain(value: string | undefined): boolean {
  if (value === undefined || value === '' || value === 'false') return false;
  if (value === 'true') return true;
  throw invalidField('explain', `explain must be true or false, got ${JSON.stringify(value)}`);
}
