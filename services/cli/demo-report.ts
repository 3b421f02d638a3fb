/** Plain-text report of one demo phase: for each watched user, where each strategy points. */

export interface StrategyResult {
  readonly strategy: string;
  readonly fallback: string | null;
  readonly items: ReadonlyArray<{ id: string; title: string; category: string }>;
}

export interface UserView {
  readonly userId: string;
  readonly from: string;
  readonly to: string;
  readonly categories: readonly string[];
  readonly results: readonly StrategyResult[];
}

/** "noir 6 · nature-docs 4": categories of the recommended items, most frequent first. */
export function categoryMix(items: StrategyResult['items']): string {
  const counts = new Map<string, number>();
  for (const i of items) counts.set(i.category, (counts.get(i.category) ?? 0) + 1);
  return [...counts]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([c, n]) => `${c} ${n}`)
    .join(' · ');
}

export function formatPhase(p: { phase: number; phases: number; events: number; ms: number; users: readonly UserView[] }): string {
  const lines = ['', `phase ${p.phase}/${p.phases} · ${p.events.toLocaleString('en')} events streamed, folded and served in ${(p.ms / 1000).toFixed(1)} s`];
  for (const u of p.users) {
    lines.push(`  ${u.userId}   true interest drifts ${u.from} → ${u.to}`);
    for (const r of u.results) {
      const note = r.fallback ? `   (${r.fallback.replace('_', ' ')})` : '';
      lines.push(`    ${r.strategy.padEnd(8)} ${categoryMix(r.items).padEnd(44)}${note}`);
    }
    const top = u.results[0]?.items[0];
    if (top) lines.push(`    top pick: "${top.title}" (${top.category})`);
  }
  return lines.join('\n');
}
