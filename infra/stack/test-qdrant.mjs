/* global fetch, AbortSignal */
// `npm run test:qdrant`: the integration and contract suites with VECTOR_STORE=qdrant, against the
// Qdrant server at QDRANT_URL. Refuses plainly, before any test starts, when there is no such server:
// a run that silently fell back to the embedded store would prove nothing about Qdrant.
import { spawnSync } from 'node:child_process';

const url = process.env.QDRANT_URL;
if (!url) {
  console.error('test:qdrant: QDRANT_URL is not set. Point it at a Qdrant 1.18 server, e.g. QDRANT_URL=http://127.0.0.1:6333 npm run test:qdrant');
  process.exit(2);
}
try {
  const res = await fetch(new URL('/readyz', url), { signal: AbortSignal.timeout(5_000) });
  if (!res.ok) throw new Error(`/readyz answered ${res.status}`);
} catch (e) {
  console.error(`test:qdrant: the Qdrant at QDRANT_URL=${url} is not ready: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(2);
}
const args = ['vitest', 'run', '--project', 'integration', '--project', 'contracts', ...process.argv.slice(2)];
const run = spawnSync('npx', args, { stdio: 'inherit', env: { ...process.env, VECTOR_STORE: 'qdrant' } });
process.exit(run.status ?? 1);
