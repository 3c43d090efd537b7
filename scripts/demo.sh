#!/usr/bin/env bash
# `npm run demo`: the quick start. On embedded defaults (no PostgreSQL, no registry, no GPU needed) it
# starts a coordinator and two provider agents on this machine and runs a real job end to end: a
# sandboxed container job over an uploaded input, outputs downloaded and verified by hash.
# Set KEEP=1 to leave the coordinator and agents running afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/setup.sh

ensure_node_deps
ensure_docker
ensure_images
say "building (tsc)"
npm run build --silent

demo=.tessera/demo
port="${TESSERA_PORT:-8080}"
url="http://127.0.0.1:$port"
rm -rf "$demo/coordinator" "$demo/outputs"
mkdir -p "$demo"
pids=()
cleanup() {
  if [ -n "${KEEP:-}" ]; then
    say "left running (KEEP=1): coordinator $url, agents; stop with: kill ${pids[*]}"
    return
  fi
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT

if curl -fs "$url/health" >/dev/null 2>&1; then
  die "something already listens on port $port; stop it or run with TESSERA_PORT=<free port>"
fi

say "starting the coordinator on $url (embedded PostgreSQL in $demo/coordinator; log: $demo/coordinator.log)"
TESSERA_PORT="$port" TESSERA_DATA_DIR="$demo/coordinator" TESSERA_LOG_LEVEL=info \
  node dist/apps/coordinator/src/main.js >"$demo/coordinator.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 120); do
  curl -fs "$url/health" >/dev/null 2>&1 && break
  kill -0 "${pids[0]}" 2>/dev/null || { tail -20 "$demo/coordinator.log" >&2; die "the coordinator exited"; }
  sleep 0.5
done
curl -fs "$url/health" >/dev/null || die "the coordinator did not become healthy; see $demo/coordinator.log"

for i in 1 2; do
  keypair="$demo/agent-$i.json"
  [ -f "$keypair" ] || node dist/apps/provider-agent/src/main.js init --keypair "$keypair" >/dev/null
  say "starting provider agent $i ($(node dist/apps/provider-agent/src/main.js address --keypair "$keypair"); log: $demo/agent-$i.log)"
  TESSERA_COORDINATOR_URL="$url" TESSERA_AGENT_KEYPAIR="$keypair" TESSERA_AGENT_WORK_DIR="$demo/agent-$i" \
    TESSERA_AGENT_NAME="demo-agent-$i" TESSERA_AGENT_LOG_FORMAT=json \
    node dist/apps/provider-agent/src/main.js start >"$demo/agent-$i.log" 2>&1 &
  pids+=($!)
done

say "submitting a job as a customer would (GraphQL + blob API)"
TESSERA_URL="$url" TESSERA_DEMO_OUT="$demo/outputs" node dist/scripts/demo-job.js
say "done. Next: README.md (what artists, ML teams and GPU owners do next); GraphQL API at $url/graphql"
