#!/usr/bin/env bash
# Chaos run (issue 10): ingest SIGKILLed ≥ 20 times, scaled 1 -> 3 -> 1, its own broker restarted,
# its own Redis SIGKILLed and restarted from the AOF, then flushed, while events flow. Bounded to a
# few minutes; prints one summary line starting with "chaos:". Ports 21000-21999 only.
set -euo pipefail
cd "$(dirname "$0")/../.."
mkdir -p .ci/out
set +e
npx vitest run --config test/chaos/vitest.config.ts --reporter=default --reporter=json --outputFile.json=.ci/out/results-chaos.json > .ci/out/chaos.log 2>&1
status=$?
set -e
sed 's/\x1b\[[0-9;]*m//g' .ci/out/chaos.log | grep -o 'chaos: events=.*' || echo "chaos: no summary line (see .ci/out/chaos.log)"
sed 's/\x1b\[[0-9;]*m//g' .ci/out/chaos.log | grep -E 'Tests +[0-9]|AssertionError| FAIL ' | tail -5 || true
exit $status
