#!/usr/bin/env bash
# The whole test suite: types, unit + integration tests (real MariaDB instances, a real S3-protocol
# server, real Btrfs where root), then the production build and the browser tests against it.
set -euo pipefail
cd "$(dirname "$0")/.."
export NEXT_TELEMETRY_DISABLED=1
export NODE_OPTIONS="${NODE_OPTIONS:-} --disable-warning=NodeVersionSupportWarning"
npm run -s db:generate
echo "== typecheck"
npx tsc --noEmit
echo "== unit and integration tests (vitest)"
npx vitest run
echo "== production build"
npx next build > /tmp/dbbackup-next-build.log 2>&1 || { cat /tmp/dbbackup-next-build.log; exit 1; }
echo "== browser tests (playwright, Debian chromium)"
npx playwright test
