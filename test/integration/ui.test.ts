/// <reference lib="dom" />
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDemo } from '../../services/cli/demo.js';
import type { UserView } from '../../services/cli/demo-report.js';
import { silentLogger } from '../../services/core/logger.js';
import { demoTestConfig } from '../support/demo-config.js';
import { unique } from '../support/names.js';
import { run } from '../support/processes.js';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const KEY = 'ui-test-key-0123456789';
/** The drift series' stroke in ui/main.js (#d9480f). */
const DRIFT_RGB = [217, 72, 15] as const;

/**
 * The /ui page in Debian's headless Chromium, against the demo's data: the demo streams drifting
 * users and leaves its services running; the page, given the API key once, draws a user's
 * trajectory and lists each strategy's recommendations.
 */
describe('the /ui page', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'ui-test-'));
  let stopDemo: (() => Promise<void>) | undefined;
  let browser: Browser | undefined;
  let uiUrl: string;
  let watched: UserView;

  beforeAll(async () => {
    const built = await run('npm', ['run', 'build:ui'], { cwd: ROOT });
    expect(built.code, built.stderr).toBe(0);
    const config = demoTestConfig(dir, { API_KEYS: KEY });
    const lines: string[] = [];
    let last: readonly UserView[] = [];
    stopDemo = await runDemo(config, silentLogger(), { quick: true, serve: true, out: (l) => lines.push(l), namespace: unique('ui'), onPhase: (_, users) => (last = users) });
    const m = /open (http:\/\/127\.0\.0\.1:\d+\/ui\/) and enter (\S+)/.exec(lines.join('\n'));
    expect(m, 'the demo prints the page address').not.toBeNull();
    uiUrl = m![1]!;
    watched = last.find((u) => u.userId === m![2])!;
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'],
    });
  });

  afterAll(async () => {
    await browser?.close();
    await stopDemo?.();
    rmSync(dir, { recursive: true, force: true });
  });

  it('takes the API key once, draws the user’s trajectory from the old interest to the new, and lists each strategy’s recommendations', async () => {
    const page = await browser!.newPage({ viewport: { width: 1400, height: 1100 } });
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(e.message));
    page.on('requestfailed', (r) => problems.push(`${r.url()}: ${r.failure()?.errorText ?? ''}`));
    page.on('response', (r) => r.status() >= 400 && !r.url().includes('/v1/') && problems.push(`${r.url()}: HTTP ${r.status()}`));
    await page.goto(uiUrl);
    // Without the key the data calls are refused like any other client's.
    await expect.poll(() => page.textContent('#ops-note'), { timeout: 20_000 }).toContain('API key');
    expect(problems).toEqual([]);

    await page.fill('#api-key', KEY);
    await page.click('#key-form button');
    await page.fill('#user-id', watched.userId);
    await page.click('#user-form button');

    await page.waitForSelector('#chart canvas');
    await page.waitForFunction(() => Number(document.querySelector('#chart')?.getAttribute('data-points')) >= 2);
    const driftPixels = await page.evaluate((rgb) => {
      const canvas = document.querySelector('#chart canvas') as HTMLCanvasElement;
      const { data } = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height);
      let n = 0;
      for (let i = 0; i < data.length; i += 4) if (Math.abs(data[i]! - rgb[0]) < 8 && Math.abs(data[i + 1]! - rgb[1]) < 8 && Math.abs(data[i + 2]! - rgb[2]) < 8) n++;
      return n;
    }, DRIFT_RGB);
    expect(driftPixels).toBeGreaterThan(50);

    // Newest window first: the nearest categories moved from where the user started to where they went.
    const rows = await page.$$eval('#windows tbody tr td:nth-child(4)', (cells) => cells.map((c) => c.textContent ?? ''));
    expect(rows.length).toBeGreaterThanOrEqual(2);
    expect(rows[0]!.split(' ')[0]).toBe(watched.to);
    expect(rows.at(-1)!.split(' ')[0]).toBe(watched.from);

    for (const strategy of ['ema', 'average', 'trend']) {
      expect(await page.locator(`#recs [data-strategy="${strategy}"] li`).count(), strategy).toBe(10);
    }
    await expect.poll(() => page.textContent('#ops-lag'), { timeout: 20_000 }).toBe('0');
    await expect.poll(() => page.textContent('#ops-freshness'), { timeout: 20_000 }).toMatch(/^\d+ ms$/);
    expect(await page.textContent('#ops-dlq')).toBe('0');

    expect(page.url()).not.toContain(KEY);
    expect(await page.evaluate(() => sessionStorage.getItem('interest-stream.apiKey'))).toBe(KEY);
    mkdirSync(path.join(ROOT, '.ci', 'out'), { recursive: true });
    await page.screenshot({ path: path.join(ROOT, '.ci', 'out', 'ui.png'), fullPage: true });
  });
});
