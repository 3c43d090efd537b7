#!/usr/bin/env bash
# `npm run demo`: the quick start. On embedded defaults (no PostgreSQL, no registry, no GPU needed)
# it makes a small animated scene with Blender (a script, nothing downloaded), starts a coordinator
# and two provider agents on this machine, and renders the scene's frames across them with the
# `tessera` CLI, as an artist would: a real token deposit on the embedded local Solana chain first,
# every chunk spot-checked by the other agent, and the agents paid on chain for the verified work.
# Prints where the frames are and the payout transactions.
# KEEP=1 leaves the coordinator and agents running; FRAMES/RESOLUTION/SAMPLES change the scene.
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
rm -rf "$demo/coordinator" "$demo/frames" "$demo/home"
mkdir -p "$demo"
pids=()
cleanup() {
  if [ -n "${KEEP:-}" ]; then
    say "left running (KEEP=1): coordinator $url and two agents; stop them with: kill ${pids[*]}"
    return
  fi
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT

if curl -fs "$url/health" >/dev/null 2>&1; then
  die "something already listens on port $port; stop it or run with TESSERA_PORT=<free port>"
fi

say "making the demo scene with Blender (${FRAMES:-24} frames, ${RESOLUTION:-320x240}, ${SAMPLES:-16} samples)"
scene=$(scripts/make-demo-scene.sh "$demo/scene" "${FRAMES:-24}" "${RESOLUTION:-320x240}" "${SAMPLES:-16}")

say "starting the coordinator on $url (embedded PostgreSQL in $demo/coordinator; log: $demo/coordinator.log)"
# Demo prices big enough to read (0.01 token per megapixel-sample), a small provider bond, and payouts
# every few seconds rather than every minute, so the agents are paid before the demo ends.
TESSERA_PORT="$port" TESSERA_DATA_DIR="$demo/coordinator" TESSERA_LOG_LEVEL=info \
  TESSERA_RENDER_PRICE="${RENDER_PRICE:-0.01}" TESSERA_PROVIDER_BOND=0.01 TESSERA_PAYOUT_MIN=0.01 \
  TESSERA_PAYOUT_INTERVAL_SEC=5 \
  node dist/apps/coordinator/src/main.js >"$demo/coordinator.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 120); do
  curl -fs "$url/health" >/dev/null 2>&1 && break
  kill -0 "${pids[0]}" 2>/dev/null || { tail -20 "$demo/coordinator.log" >&2; die "the coordinator exited"; }
  sleep 0.5
done
curl -fs "$url/health" >/dev/null || die "the coordinator did not become healthy; see $demo/coordinator.log"

agent=dist/apps/provider-agent/src/main.js
for i in 1 2; do
  keypair="$demo/agent-$i.json"
  [ -f "$keypair" ] || node "$agent" init --keypair "$keypair" >/dev/null
  say "starting provider agent $i ($(node "$agent" address --keypair "$keypair"); log: $demo/agent-$i.log)"
  TESSERA_COORDINATOR_URL="$url" TESSERA_AGENT_KEYPAIR="$keypair" TESSERA_AGENT_WORK_DIR="$demo/agent-$i" \
    TESSERA_AGENT_NAME="demo-agent-$i" TESSERA_AGENT_LOG_FORMAT=json \
    node "$agent" start >"$demo/agent-$i.log" 2>&1 &
  pids+=($!)
done

# The artist's side, with its own CLI config so yours in ~/.config/tessera is left alone.
tessera() { HOME="$PWD/$demo/home" TESSERA_URL="$url" node dist/apps/cli/src/main.js "$@"; }
say "as an artist: tessera signup, then tessera render $scene"
tessera signup --name "demo artist" >/dev/null
say "as an artist: tessera deposit 5 (an SPL transfer to the treasury on the embedded local chain)"
tessera deposit 5
tessera render "$scene" --out "$demo/frames"
tessera balance
say "done: $(ls "$demo/frames" | wc -l) frames in $demo/frames (thumbnails and a zip are on the job too: tessera download --archive)"

# The GPU owners' side: each agent was paid on chain for its verified chunks (payouts run every 5 s).
for i in 1 2; do
  for _ in $(seq 1 60); do
    record=$(node "$agent" earnings --coordinator "$url" --keypair "$demo/agent-$i.json" 2>/dev/null || true)
    grep -q ' PAID ' <<<"$record" && grep -q '^pending  *0 ' <<<"$record" && break
    sleep 1
  done
  say "as GPU owner $i: tessera-agent earnings"
  node "$agent" earnings --coordinator "$url" --keypair "$demo/agent-$i.json"
done
[ -n "${KEEP:-}" ] && say "the web dashboard: $url/ (sign in with the API key in $demo/home/.config/tessera/cli.json)" || say "KEEP=1 npm run demo leaves it all running, with the web dashboard at $url/"
