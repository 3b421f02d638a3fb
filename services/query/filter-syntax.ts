/**
 * The query-string filter syntax (docs/api.md), mapped onto the `Filter` type of the ports:
 *
 *   filter=category:scifi,year>=1990,lang:en|fr,rating:3..5,code:"007"
 *
 * Conditions are separated by `,` and all must hold. `key:value` is equality, `key:a|b|c` set
 * membership, `key:lo..hi` an inclusive numeric range (either side may be left out), and `>`, `>=`,
 * `<`, `<=` compare numbers. Unquoted values that read as numbers are numbers, `true`/`false` are
 * booleans, anything else a string; double quotes force a string and may hold `,` `|` `"` (as `\"`).
 */
import type { Filter, FilterCondition, PayloadScalar } from '../domain/ports/index.js';
import { validateFilter } from '../domain/filter.js';
import { invalidField } from './validation.js';

export const MAX_FILTER_LENGTH = 2000;

const KEY_RE = /^[A-Za-z_][A-Za-z0-9_-]*/;
const NUMBER_RE = /^-?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$/;
const OPERATORS = ['>=', '<=', '>', '<', ':'] as const;
type Operator = (typeof OPERATORS)[number];

/** One lexical piece of a value: its text and whether it was quoted (then it is always a string). */
interface Piece {
  readonly text: string;
  readonly quoted: boolean;
}

function fail(message: string): never {
  throw invalidField('filter', `filter: ${message}`);
}

/** Splits on `sep` outside double quotes, keeping quotes and escapes for the next stage. */
function splitOutsideQuotes(text: string, sep: string): string[] {
  const parts: string[] = [];
  let current = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted && c === '\\') {
      current += c + (text[i + 1] ?? '');
      i++;
    } else if (c === '"') {
      quoted = !quoted;
      current += c;
    } else if (c === sep && !quoted) {
      parts.push(current);
      current = '';
    } else {
      current += c;
    }
  }
  if (quoted) fail(`unterminated quote in ${JSON.stringify(text)}`);
  parts.push(current);
  return parts;
}

function toPiece(raw: string, where: string): Piece {
  if (!raw.startsWith('"')) {
    if (raw.includes('"')) fail(`${where}: a quote may only enclose a whole value`);
    return { text: raw, quoted: false };
  }
  if (raw.length < 2 || !raw.endsWith('"') || raw.endsWith('\\"')) fail(`${where}: a quote may only enclose a whole value`);
  return { text: raw.slice(1, -1).replace(/\\(.)/g, '$1'), quoted: true };
}

function scalar(p: Piece, where: string): PayloadScalar {
  if (p.quoted) return p.text;
  if (p.text.length === 0) fail(`${where}: missing value`);
  if (NUMBER_RE.test(p.text)) return Number(p.text);
  if (p.text === 'true' || p.text === 'false') return p.text === 'true';
  return p.text;
}

function numberOf(p: Piece, where: string): number {
  const n = p.quoted || !NUMBER_RE.test(p.text) ? NaN : Number(p.text);
  if (!Number.isFinite(n)) fail(`${where}: ${JSON.stringify(p.text)} is not a number`);
  return n;
}

function rangeCondition(key: string, value: string, where: string): FilterCondition {
  const [lo = '', hi = ''] = value.split('..');
  if (lo === '' && hi === '') fail(`${where}: a range needs at least one bound`);
  const range: { gte?: number; lte?: number } = {};
  if (lo !== '') range.gte = numberOf(toPiece(lo, where), where);
  if (hi !== '') range.lte = numberOf(toPiece(hi, where), where);
  return { key, range };
}

function colonCondition(key: string, value: string, where: string): FilterCondition {
  const alternatives = splitOutsideQuotes(value, '|');
  if (alternatives.length === 1 && !value.startsWith('"') && value.split('..').length === 2) {
    return rangeCondition(key, value, where);
  }
  const values = alternatives.map((a) => scalar(toPiece(a, where), where));
  return values.length === 1 ? { key, eq: values[0]! } : { key, in: values };
}

function comparison(key: string, op: Exclude<Operator, ':'>, value: string, where: string): FilterCondition {
  const n = numberOf(toPiece(value, where), where);
  const bound = { '>': 'gt', '>=': 'gte', '<': 'lt', '<=': 'lte' }[op];
  return { key, range: { [bound]: n } };
}

function parseCondition(text: string, index: number): FilterCondition {
  const where = `condition ${index + 1} (${JSON.stringify(text)})`;
  const key = KEY_RE.exec(text)?.[0];
  if (key === undefined) fail(`${where}: must start with a payload key (letters, digits, _ and -)`);
  const rest = text.slice(key.length);
  const op = OPERATORS.find((o) => rest.startsWith(o));
  if (op === undefined) fail(`${where}: expected one of ${OPERATORS.join(' ')} after "${key}"`);
  const value = rest.slice(op.length);
  if (value.length === 0) fail(`${where}: missing value after "${key}${op}"`);
  return op === ':' ? colonCondition(key, value, where) : comparison(key, op, value, where);
}

/**
 * Parses the `filter` query parameter; undefined or empty means no filter. Throws INVALID_INPUT
 * with field `filter` and a message naming the condition and the problem.
 */
export function parseFilterSyntax(text: string | undefined): Filter | undefined {
  if (text === undefined || text.trim() === '') return undefined;
  if (text.length > MAX_FILTER_LENGTH) fail(`${text.length} characters, at most ${MAX_FILTER_LENGTH} allowed`);
  const conditions = splitOutsideQuotes(text, ',').map((c, i) => parseCondition(c.trim(), i));
  try {
    return validateFilter({ must: conditions });
  } catch (e) {
    return fail(e instanceof Error ? e.message : String(e));
  }
}
