/** Reads the V8 CPU profiles a child wrote (`--cpu-prof`) and summarises where its time went. */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from './env.js';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
  readonly hitCount?: number;
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly startTime: number;
  readonly endTime: number;
  readonly samples?: readonly number[];
  readonly timeDeltas?: readonly number[];
}

/** A time window on the monotonic clock V8 profiles use (process.hrtime), in microseconds. */
export interface Window {
  readonly fromUs: number;
  readonly toUs: number;
}

/** Now on the clock of V8's profiles (CLOCK_MONOTONIC, which process.hrtime reads too), in µs. */
export function monotonicUs(): number {
  return Number(process.hrtime.bigint() / 1000n);
}

/** Hits per node id: all of them, or only the samples taken inside `window`. */
function hits(p: CpuProfile, window: Window | undefined): Map<number, number> {
  const out = new Map<number, number>();
  if (window === undefined || !p.samples || !p.timeDeltas) {
    for (const n of p.nodes) out.set(n.id, n.hitCount ?? 0);
    return out;
  }
  let t = p.startTime;
  p.samples.forEach((id, i) => {
    t += p.timeDeltas![i] ?? 0;
    if (t >= window.fromUs && t <= window.toUs) out.set(id, (out.get(id) ?? 0) + 1);
  });
  return out;
}

export interface ProfileSummary {
  /** Sampled time, ms (idle included). */
  readonly totalMs: number;
  /** Share of the non-idle time per area: a package, a services/ directory, GC, native. */
  readonly byArea: Array<{ area: string; pct: number }>;
  /** Functions by self time, share of the non-idle time. */
  readonly topFrames: Array<{ frame: string; pct: number }>;
  readonly idlePct: number;
}

function location(url: string): string {
  const file = url.replace(/^file:\/\//, '');
  const nm = file.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const parts = file.slice(nm + 'node_modules/'.length).split('/');
    return parts[0]!.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]!;
  }
  if (file.startsWith(ROOT)) return path.relative(ROOT, file);
  return file === '' ? '' : file.startsWith('node:') ? 'node' : file;
}

function area(url: string, fn: string): string {
  if (url === '') return fn.startsWith('(') ? fn : 'native';
  const loc = location(url);
  const m = /^services\/([^/]+(?:\/[^/]+)?)\//.exec(loc);
  if (m) return `services/${m[1]}`;
  return loc.includes('/') && !loc.startsWith('@') ? 'node internals' : loc;
}

/**
 * Sums every profile in `dir` (one per process) into one summary; with a window, only the samples
 * taken inside it (so start-up and shutdown do not dilute the steady state).
 */
export function summariseProfiles(dir: string, window?: Window, top = 12): ProfileSummary | undefined {
  const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'));
  if (files.length === 0) return undefined;
  const self = new Map<string, number>();
  const areas = new Map<string, number>();
  let total = 0;
  let idle = 0;
  let totalMs = 0;
  for (const f of files) {
    const p = JSON.parse(readFileSync(path.join(dir, f), 'utf8')) as CpuProfile;
    totalMs += window ? (window.toUs - window.fromUs) / 1000 : (p.endTime - p.startTime) / 1000;
    const counts = hits(p, window);
    for (const n of p.nodes) {
      const hits = counts.get(n.id) ?? 0;
      if (hits === 0) continue;
      const { functionName, url, lineNumber } = n.callFrame;
      total += hits;
      if (functionName === '(idle)') {
        idle += hits;
        continue;
      }
      const frame = `${functionName || '(anonymous)'} ${location(url)}${url ? `:${lineNumber + 1}` : ''}`.trim();
      self.set(frame, (self.get(frame) ?? 0) + hits);
      const a = area(url, functionName);
      areas.set(a, (areas.get(a) ?? 0) + hits);
    }
  }
  const busy = Math.max(1, total - idle);
  const pct = (x: number) => Math.round((1000 * x) / busy) / 10;
  const sorted = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1]);
  return {
    totalMs: Math.round(totalMs),
    idlePct: Math.round((1000 * idle) / Math.max(1, total)) / 10,
    byArea: sorted(areas).slice(0, top).map(([a, n]) => ({ area: a, pct: pct(n) })),
    topFrames: sorted(self).slice(0, top).map(([frame, n]) => ({ frame, pct: pct(n) })),
  };
}

/** A few lines for the terminal. */
export function describeProfile(label: string, s: ProfileSummary): string {
  const areas = s.byArea.map((a) => `${a.area} ${a.pct}%`).join(', ');
  const frames = s.topFrames.map((f) => `    ${String(f.pct).padStart(5)}%  ${f.frame}`).join('\n');
  return `profile of ${label} (${s.totalMs} ms sampled, ${s.idlePct}% idle); busy time by area: ${areas}\n  top self-time frames:\n${frames}`;
}
