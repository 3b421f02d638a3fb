import cliProgress from 'cli-progress';
import type { Logger } from '../core/logger.js';

/** Progress of long work: a bar on a terminal, a log line every few seconds otherwise (CI, containers). */
export interface Progress {
  update(done: number, extra?: Record<string, string | number>): void;
  stop(): void;
}

export function createProgress(opts: { label: string; total: number; logger: Logger; stream?: NodeJS.WriteStream }): Progress {
  const stream = opts.stream ?? process.stderr;
  if (stream.isTTY) {
    const bar = new cliProgress.SingleBar(
      { format: `${opts.label} [{bar}] {percentage}% | {value}/{total} | {rate}/s | ETA {eta_formatted}`, stream, hideCursor: true },
      cliProgress.Presets.shades_classic,
    );
    const started = Date.now();
    bar.start(opts.total, 0, { rate: 0 });
    return {
      update: (done, extra) => bar.update(done, { rate: Math.round(done / Math.max((Date.now() - started) / 1000, 0.001)), ...extra }),
      stop: () => bar.stop(),
    };
  }
  let lastLog = 0;
  return {
    update: (done, extra) => {
      if (Date.now() - lastLog < 5000 && done < opts.total) return;
      lastLog = Date.now();
      opts.logger.info({ done, total: opts.total, ...extra }, opts.label);
    },
    stop: () => {},
  };
}
