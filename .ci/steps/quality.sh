#!/usr/bin/env bash
# Issue 16: `interest-stream evaluate` end to end from the built CLI on a small generated workload:
# it must write the JSON and the chart, rank views, and report every configured strategy.
set -euo pipefail
cd "$(dirname "$0")/../.."
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
node dist/services/cli/main.js generate --items 300 --dimension 16 --clusters 4 --users 30 --events 1500 --out "$dir/w" >/dev/null
LOG_LEVEL=warn SNAPSHOT_INTERVAL_MS=10000 node dist/services/cli/main.js evaluate --items "$dir/w/items.jsonl" --events "$dir/w/events.jsonl" \
  --alpha 0.1,0.3 --momentum 0,1 --lambda 0.1 --out "$dir/out"
test -s "$dir/out/hr-over-time.svg"
node -e '
const d = require(process.argv[1]);
const names = d.variants.map((v) => v.name);
if (d.counts.scored < 1000) throw new Error(`only ${d.counts.scored} views ranked`);
for (const s of ["ema", "average", "last", "trend", "popularity", "hybrid"]) if (!names.some((n) => n.startsWith(s))) throw new Error(`no ${s} in ${names}`);
console.log(`evaluate: ${names.length} strategies over ${d.counts.scored} ranked views`);
' "$dir/out/evaluation.json"
