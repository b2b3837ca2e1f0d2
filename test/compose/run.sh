#!/usr/bin/env bash
# npm run test:compose: the compose stack for real (stand-in base images, see harness.sh), then its test.
# The stack and the private dockerd are always taken down at the end, whatever happened.
set -euo pipefail
cd "$(dirname "$0")/../.."
export COMPOSE_HARNESS_DIR=${COMPOSE_HARNESS_DIR:-/var/tmp/compose-harness}
trap 'bash test/compose/harness.sh down' EXIT
bash test/compose/harness.sh prepare
npx vitest run --config vitest.compose.config.ts
