import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runDemo } from '../../services/cli/demo.js';
import type { UserView } from '../../services/cli/demo-report.js';
import { silentLogger } from '../../services/core/logger.js';
import { demoTestConfig } from '../support/demo-config.js';
import { unique } from '../support/names.js';

describe('npm run demo', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'demo-test-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('shows recommendations moving from each watched user’s old interest to the new one', async () => {
    const config = demoTestConfig(dir);
    const lines: string[] = [];
    const phases: Array<readonly UserView[]> = [];
    await runDemo(config, silentLogger(), { quick: true, serve: false, out: (l) => lines.push(l), namespace: unique('demo'), onPhase: (_, users) => phases.push(users) });
    const text = lines.join('\n');
    expect(text).toContain('phase 4/4');
    expect(text).toContain("curl '");
    const mostCommon = (items: UserView['results'][number]['items']) => {
      const counts = new Map<string, number>();
      for (const i of items) counts.set(i.category, (counts.get(i.category) ?? 0) + 1);
      return [...counts].sort((a, b) => b[1] - a[1])[0]![0];
    };
    const first = phases[0]!;
    const last = phases.at(-1)!;
    expect(first.length).toBe(3);
    for (const u of first) expect(mostCommon(u.results.find((r) => r.strategy === 'ema')!.items)).toBe(u.from);
    for (const u of last) expect(mostCommon(u.results.find((r) => r.strategy === 'ema')!.items)).toBe(u.to);
  });
});
