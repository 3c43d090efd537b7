#!/usr/bin/env bash
# `npm test`: sets up everything the tests need on this machine (npm packages, the Docker engine,
# PostgreSQL, Redis, the locally built images, Chromium), builds, lints, and runs every test: unit,
# medium (real PostgreSQL and Docker) and end to end (real processes, containers, GraphQL, and the
# dashboard in a real browser).
# Pass jest arguments through: `npm test -- --selectProjects unit`.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/setup.sh

started=$(date +%s)
ensure_node_deps
ensure_docker
ensure_test_postgres
ensure_test_redis
ensure_images
ensure_chromium
say "building (tsc, and vite for the dashboard)"
npm run build --silent
say "checking types (tsc: the project, and the dashboard with its browser settings)"
npm run typecheck --silent
say "checking style (eslint, prettier)"
npm run lint --silent
# The dashboard's unit tests run in vitest, under the same Vite settings its build uses (browser
# modules, JSX); jest runs everything else, the dashboard's browser test included (test/e2e).
say "running the dashboard's unit tests (vitest)"
npm run test:dashboard --silent
say "running the tests against $TEST_DATABASE_URL"
# PGlite (the embedded database, tested too) loads its WebAssembly through a dynamic import, which
# jest's module sandbox allows only with this flag.
NODE_OPTIONS="--experimental-vm-modules --no-warnings=ExperimentalWarning" npx jest --ci "$@"
say "all green in $(( $(date +%s) - started )) s"
