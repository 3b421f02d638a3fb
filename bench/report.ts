/** Result rows, percentiles, the machine description and the printed table. */
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import { ROOT } from './env.js';

/** One line of the results table. `target` is the goal; `met` is null where there is none. */
export interface Row {
  readonly measurement: string;
  readonly variant: string;
  readonly value: number | null;
  readonly unit: string;
  readonly target?: string;
  readonly met?: boolean | null;
  readonly notes?: string;
  readonly details?: Record<string, unknown>;
}

/** Nearest-rank percentile of `values` (q in [0, 1]); NaN for none. */
export function percentile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

export function latencySummary(ms: readonly number[]): { n: number; p50: number; p90: number; p99: number; max: number } {
  return { n: ms.length, p50: percentile(ms, 0.5), p90: percentile(ms, 0.9), p99: percentile(ms, 0.99), max: percentile(ms, 1) };
}

export function round(x: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

export interface Machine {
  readonly cpu: string;
  readonly cores: number;
  readonly memoryGiB: number;
  readonly os: string;
  readonly node: string;
  readonly commit: string;
  readonly dirty: boolean;
}

export function machine(): Machine {
  const git = (...args: string[]) => {
    try {
      return execFileSync('git', args, { cwd: ROOT, encoding: 'utf8' }).trim();
    } catch {
      return '';
    }
  };
  return {
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.availableParallelism(),
    memoryGiB: round(os.totalmem() / 2 ** 30, 1),
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    commit: git('rev-parse', 'HEAD') || 'unknown',
    dirty: git('status', '--porcelain').length > 0,
  };
}

function cell(row: Row): string[] {
  const value = row.value === null ? 'not run' : row.value.toLocaleString('en-US', { maximumFractionDigits: 2 });
  const met = row.met === undefined || row.met === null ? '' : row.met ? 'yes' : 'NO';
  return [row.measurement, row.variant, value, row.unit, row.target ?? '', met, row.notes ?? ''];
}

/** The rows as a Markdown table (also readable on a terminal). */
export function table(rows: readonly Row[]): string {
  const head = ['measurement', 'variant', 'value', 'unit', 'target', 'met', 'notes'];
  const cells = [head, ...rows.map(cell)];
  const widths = head.map((_, i) => Math.max(...cells.map((c) => c[i]!.length)));
  const line = (c: string[]) => `| ${c.map((x, i) => x.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(head), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...cells.slice(1).map(line)].join('\n');
}
