import { readJsonlLines } from '../core/jsonl.js';
import type { Logger } from '../core/logger.js';
import { createProgress } from './progress.js';

/**
 * Reads a JSONL file twice: first every non-blank line is parsed (and so validated), so a bad line
 * — reported with its number — changes nothing; then the lines are parsed again and handed on in
 * batches, with progress, without holding the file in memory. `beforeWrite` runs between the passes.
 */
export async function validateThenBatch<T>(opts: {
  file: string;
  parse: (line: string, lineNo: number) => T;
  write: (batch: T[]) => Promise<void>;
  beforeWrite?: (total: number) => Promise<void>;
  label: string;
  logger: Logger;
  batchSize?: number;
}): Promise<number> {
  let total = 0;
  for await (const { line, lineNo } of readJsonlLines(opts.file)) {
    if (line.trim() === '') continue;
    opts.parse(line, lineNo);
    total++;
  }
  await opts.beforeWrite?.(total);
  const progress = createProgress({ label: opts.label, total, logger: opts.logger });
  const batchSize = opts.batchSize ?? 1000;
  let batch: T[] = [];
  let done = 0;
  const flush = async () => {
    await opts.write(batch);
    done += batch.length;
    batch = [];
    progress.update(done);
  };
  for await (const { line, lineNo } of readJsonlLines(opts.file)) {
    if (line.trim() === '') continue;
    batch.push(opts.parse(line, lineNo));
    if (batch.length >= batchSize) await flush();
  }
  if (batch.length > 0) await flush();
  progress.stop();
  return total;
}
