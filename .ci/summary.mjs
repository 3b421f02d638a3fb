// Adds up the JSON reports that the CI steps wrote into .ci/out (one per vitest run: the main
// suite, chaos, cluster, Node 24) and prints one line per run, then the plain closing line
// "N passed, N failed, N skipped" that CI's reader looks for. The per-run lines are worded so
// that they do not look like a closing line themselves: only the last line carries the totals. Exits 0 whatever it counts:
// .ci/run decides the exit status from the steps themselves.
import { readdirSync, readFileSync } from 'node:fs';

const dir = '.ci/out';
let files = [];
try {
  files = readdirSync(dir).filter((f) => /^results.*\.json$/.test(f)).sort();
} catch {
  // no reports at all: the totals below are zero, which says plainly that no test ran
}
const total = { passed: 0, failed: 0, skipped: 0 };
for (const file of files) {
  try {
    const r = JSON.parse(readFileSync(`${dir}/${file}`, 'utf8'));
    const run = {
      passed: r.numPassedTests ?? 0,
      failed: r.numFailedTests ?? 0,
      skipped: (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0),
    };
    total.passed += run.passed;
    total.failed += run.failed;
    total.skipped += run.skipped;
    console.log(`  ${file} — passed ${run.passed}, failed ${run.failed}, skipped ${run.skipped}`);
  } catch (e) {
    total.failed += 1;
    console.log(`  ${file}: unreadable (${e.message}), counted as 1 failed`);
  }
}
console.log(`${total.passed} passed, ${total.failed} failed, ${total.skipped} skipped`);
