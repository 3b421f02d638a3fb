/** Polls `check` until it stops throwing (or returns a truthy value); the last error explains a timeout. */
export async function eventually<T>(check: () => Promise<T> | T, opts: { timeoutMs?: number; intervalMs?: number } = {}): Promise<T> {
  const timeoutMs = opts.timeoutMs ?? 20_000;
  const intervalMs = opts.intervalMs ?? 50;
  const deadline = Date.now() + timeoutMs;
  let last: unknown = new Error('never checked');
  while (Date.now() < deadline) {
    try {
      const v = await check();
      if (v !== false && v !== undefined && v !== null) return v;
      last = new Error(`check returned ${String(v)}`);
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(`eventually: gave up after ${timeoutMs} ms: ${last instanceof Error ? last.message : String(last)}`, { cause: last });
}
