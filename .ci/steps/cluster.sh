#!/usr/bin/env bash
# The production-shape project (issue 14): runs test/cluster on the cluster stack (three KRaft
# brokers, Redis Cluster of three primaries + three replicas, in .stack-cluster/, beside the
# single-node stack) and prints its invariant summary line. .ci/run starts the cluster stack before
# this step and keeps it for the Node 24 step; run alone, this starts it and stops what it started.
set -euo pipefail
cd "$(dirname "$0")/../.."
started=0
if ! node infra/stack/stack.mjs status --cluster | grep -q 'kafka-1: running'; then started=1; fi
mkdir -p .ci/out
npm run stack:up -- --cluster
set +e
npx vitest run --project cluster --reporter=default --reporter=json --outputFile.json=.ci/out/results-cluster.json 2>&1 | tee .ci/out/cluster.log
status=${PIPESTATUS[0]}
set -e
grep -h 'cluster summary:' .ci/out/cluster.log || echo 'cluster summary: (not printed; see .ci/out/cluster.log)'
if [ "$started" = 1 ]; then node infra/stack/stack.mjs down --cluster; fi
exit "$status"
