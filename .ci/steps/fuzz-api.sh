#!/usr/bin/env bash
# Fuzzes the query API with schemathesis against /openapi.json of a query service running on the
# real stack (the one .ci/run started, found in .stack/env): once without keys, once with an erase
# key. Every operation, a bounded number of examples; fails on any 5xx, any response that does not
# conform to the document, any request that takes longer than REQUEST_TIMEOUT, and when the run as
# a whole exceeds its time budget (a hang). Prints schemathesis' summary.
set -euo pipefail
cd "$(dirname "$0")/../.."

SCHEMATHESIS_VERSION=4.32.5
MAX_EXAMPLES=${FUZZ_MAX_EXAMPLES:-20}
SEED=${FUZZ_SEED:-20261202}
REQUEST_TIMEOUT=5
RUN_BUDGET_S=150
out=.ci/out/fuzz
# Outside the tree, so that linters never walk into it; reused between runs.
venv=${XDG_CACHE_HOME:-$HOME/.cache}/interest-stream/schemathesis-$SCHEMATHESIS_VERSION
mkdir -p "$out"

if ! command -v python3 >/dev/null || ! python3 -c 'import ensurepip, venv' 2>/dev/null; then
  echo "installing python3-venv"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3 python3-venv >/dev/null
fi
if [ "$("$venv/bin/schemathesis" --version 2>/dev/null)" != "schemathesis, version $SCHEMATHESIS_VERSION" ]; then
  echo "installing schemathesis $SCHEMATHESIS_VERSION"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
fi

# shellcheck disable=SC1091
set -a; [ -f .stack/env ] && . .stack/env; set +a
: "${KAFKA_BROKERS:?KAFKA_BROKERS not set and no .stack/env: start the stack first}"
: "${REDIS_URL:?REDIS_URL not set}"

query_pid=""
stop_query() {
  if [ -n "$query_pid" ] && kill -0 "$query_pid" 2>/dev/null; then
    kill -TERM "$query_pid"
    wait "$query_pid" 2>/dev/null || true
  fi
  query_pid=""
}
trap stop_query EXIT

# start_query LABEL API_KEYS: starts a query service on free ports and sets $port.
start_query() {
  local label=$1 keys=$2 run_id
  run_id="fuzz-$label-$$-$(date +%s)"
  local store="$out/$label-store"
  rm -rf "$store"
  env REDIS_PREFIX="$run_id" INTERACTIONS_TOPIC="$run_id-interactions" TOPIC_PARTITIONS=1 \
    VECTOR_STORE=embedded EMBEDDED_STORE_DIR="$store" QUERY_HTTP_PORT=0 QUERY_GRPC_PORT=0 \
    API_KEYS="$keys" AUTH_FAILURES_PER_MINUTE=1000000 LOG_LEVEL=info \
    node --import tsx services/cli/main.ts query >"$out/$label-query.log" 2>&1 &
  query_pid=$!
  port=""
  for _ in $(seq 1 120); do
    port=$(grep '"query service listening"' "$out/$label-query.log" 2>/dev/null | grep -o '"httpPort":[0-9]*' | head -1 | cut -d: -f2 || true)
    [ -n "$port" ] && break
    kill -0 "$query_pid" 2>/dev/null || { cat "$out/$label-query.log"; echo "query service ($label) exited"; return 1; }
    sleep 0.5
  done
  [ -n "$port" ] || { cat "$out/$label-query.log"; echo "query service ($label) did not start"; return 1; }
  echo "query service ($label) on port $port"
}

# fuzz LABEL [schemathesis args...]
# Left out: positive_data_acceptance (a schema-valid filter can still be a 400 the document explains:
# a range with lo > hi, over 64 conditions), and the stateful resource checks (the API creates nothing).
fuzz() {
  local label=$1
  shift
  local status=0
  # Run from $out: schemathesis keeps a cache (.schemathesis/) in its working directory.
  (cd "$out" && timeout --signal=TERM "$RUN_BUDGET_S" "$venv/bin/schemathesis" run "http://127.0.0.1:$port/openapi.json" \
    --checks all \
    --exclude-checks positive_data_acceptance,use_after_free,ensure_resource_availability,object_level_authorization \
    --max-examples "$MAX_EXAMPLES" --seed "$SEED" --generation-database none \
    --request-timeout "$REQUEST_TIMEOUT" --max-response-time "$REQUEST_TIMEOUT" \
    --workers 2 --no-color --report junit --report-dir "$label" \
    "$@") || status=$?
  [ "$status" -eq 124 ] && echo "fuzz ($label): schemathesis did not finish within ${RUN_BUDGET_S}s (a hang)"
  return "$status"
}

status=0
start_query open ""
fuzz open || status=1
stop_query

key="fuzz-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
start_query keyed "fuzzer:erase:$key"
fuzz keyed -H "Authorization: Bearer $key" || status=1
stop_query

echo "fuzz-api: $([ $status -eq 0 ] && echo passed || echo FAILED)"
exit $status
