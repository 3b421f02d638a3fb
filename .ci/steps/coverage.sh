#!/usr/bin/env bash
# Issue 13: line coverage of services/domain and the use cases (QueryUseCases, BatchProcessor and the
# files it is split into) by the unit project alone, on in-memory fakes, no services. Prints the
# table and fails under 90 % of lines (the coverage block of vitest.config.ts).
set -euo pipefail
cd "$(dirname "$0")/../.."
npm run test:coverage -- --reporter=dot
