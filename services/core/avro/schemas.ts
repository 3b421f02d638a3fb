import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, parse } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Schema } from 'avsc';
import { InterestStreamError } from '../../domain/errors.js';

/** Names of the contract files under `schemas/avro/`; the .avsc files are the source of truth. */
export type SchemaName = 'InteractionEvent' | 'ItemUpsert' | 'InterestSnapshot';

/**
 * Finds `schemas/avro` by walking up from this module. The module runs from `services/core/avro`
 * (tsx, vitest) and from `dist/services/core/avro` (compiled), so no fixed relative path fits both.
 */
export function findSchemaDir(start: string = dirname(fileURLToPath(import.meta.url))): string {
  let dir = start;
  const root = parse(dir).root;
  for (;;) {
    const candidate = join(dir, 'schemas', 'avro');
    if (existsSync(candidate)) return candidate;
    if (dir === root) break;
    dir = dirname(dir);
  }
  throw new InterestStreamError('INTERNAL', `no schemas/avro directory above ${start}`);
}

let schemaDir: string | undefined;
const cache = new Map<SchemaName, Schema>();

/** The parsed JSON of one .avsc file (read once, then cached). */
export function loadSchema(name: SchemaName): Schema {
  const hit = cache.get(name);
  if (hit !== undefined) return hit;
  schemaDir ??= findSchemaDir();
  const file = join(schemaDir, `${name}.avsc`);
  let parsed: Schema;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8')) as Schema;
  } catch (e) {
    throw new InterestStreamError('INTERNAL', `cannot read Avro schema ${file}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
  cache.set(name, parsed);
  return parsed;
}
