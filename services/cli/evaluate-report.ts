/** How `interest-stream evaluate` shows its results: a terminal table and an SVG chart of HR@K over event time. */
import type { ReplayResult, VariantResult } from '../domain/evaluation/replay.js';
import type { MetricSummary } from '../domain/evaluation/metrics.js';

const fixed = (x: number, digits = 4) => x.toFixed(digits);
const percent = (x: number) => `${(100 * x).toFixed(1)}%`;

function row(name: string, m: MetricSummary): string[] {
  return [name, String(m.events), fixed(m.hr), fixed(m.ndcg), fixed(m.mrr), percent(m.coverage), fixed(m.ils, 3), m.fallbacks === 0 ? '-' : percent(m.fallbackRate)];
}

function align(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ')).join('\n');
}

/** The results as a fixed-width table, best HR@K marked, with the event counts underneath. */
export function renderTable(r: ReplayResult, undecodable = 0, shredded = 0): string {
  const k = r.k;
  const best = Math.max(...r.variants.map((v) => v.hr));
  const header = ['strategy', 'ranked', `HR@${k}`, `NDCG@${k}`, 'MRR', `coverage@${k}`, `ILS@${k}`, 'fallback'];
  const rows = r.variants.map((v) => row(`${v.hr === best ? '* ' : '  '}${v.name}`, v));
  const c = r.counts;
  const lines = [
    align([header, ...rows, row('  cold start (popularity)', r.coldStart)]),
    '',
    `events ${c.events}: views ${c.views}, dislikes ${c.dislikes}, erasures ${c.erases}; users ${r.users}, catalogue ${r.catalogueSize} items`,
    `ranked ${c.scored} views of users with an interest vector, ${c.coldStart} cold-start views by popularity`,
    `not ranked: ${c.excludedTargets} views of already seen or disliked items, ${c.warmUp} views before --from`,
    `left out (as ingest would): ${c.unknownItems} unknown items, ${c.rejected} rejected by the fold, ${c.repeats} duplicates, ${undecodable} undecodable, ${shredded} shredded (erased users); ${c.outOfRange} after --to`,
  ];
  return lines.join('\n');
}

const COLOURS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];
const MAX_LINES = COLOURS.length;

const escapeXml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** HR@K per event-time bucket, one line per strategy (the ten best by HR@K when there are more). */
export function renderHitRateChart(r: ReplayResult): string {
  const [w, h, left, right, top, bottom] = [960, 480, 60, 300, 40, 50];
  const shown = [...r.variants].sort((a, b) => b.hr - a.hr).slice(0, MAX_LINES);
  const points = shown.flatMap((v) => v.overTime);
  if (points.length === 0) return `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}"><text x="20" y="40">no ranked views</text></svg>\n`;
  const t0 = Math.min(...points.map((p) => p.from));
  const t1 = Math.max(...points.map((p) => p.to));
  const yMax = Math.max(0.05, ...points.map((p) => p.hr ?? 0));
  const x = (t: number) => left + ((t - t0) / Math.max(1, t1 - t0)) * (w - left - right);
  const y = (v: number) => h - bottom - (v / yMax) * (h - top - bottom);
  const line = (v: VariantResult, i: number) => {
    const d = v.overTime.filter((p) => p.hr !== null).map((p) => `${x((p.from + p.to) / 2).toFixed(1)},${y(p.hr!).toFixed(1)}`);
    const legendY = top + 16 * i;
    return [
      `<polyline fill="none" stroke="${COLOURS[i]}" stroke-width="1.5" points="${d.join(' ')}"/>`,
      `<rect x="${w - right + 15}" y="${legendY - 9}" width="10" height="10" fill="${COLOURS[i]}"/>`,
      `<text x="${w - right + 30}" y="${legendY}" font-size="11">${escapeXml(v.name)} ${fixed(v.hr, 3)}</text>`,
    ].join('\n');
  };
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => {
    const v = f * yMax;
    return `<line x1="${left}" x2="${w - right}" y1="${y(v)}" y2="${y(v)}" stroke="#ddd"/><text x="${left - 6}" y="${y(v) + 4}" font-size="11" text-anchor="end">${fixed(v, 2)}</text>`;
  });
  const date = (t: number) => new Date(t).toISOString().slice(0, 16).replace('T', ' ');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" font-family="sans-serif">
<text x="${left}" y="22" font-size="14">HR@${r.k} over event time (${r.counts.scored} ranked views${r.variants.length > MAX_LINES ? `, the ${MAX_LINES} best of ${r.variants.length} strategies` : ''})</text>
${ticks.join('\n')}
<text x="${left}" y="${h - bottom + 20}" font-size="11">${date(t0)}</text>
<text x="${w - right}" y="${h - bottom + 20}" font-size="11" text-anchor="end">${date(t1)}</text>
${shown.map(line).join('\n')}
</svg>
`;
}
