#!/usr/bin/env bash
# End-to-end check of `lichen segment` and the watermark commands on a segmentation model,
# on the real CamVid files (skipped when they are absent): a tiny run interrupted with SIGINT
# and resumed to the same weights as an uninterrupted run, `segment eval`, `segment embed` with
# every method (the mark must verify), `watermark evaluate` (mIoU rows) and `compare`.
# Usage: scripts/check-segmentation.sh [LICHEN_BINARY]
set -euo pipefail
cd "$(dirname "$0")/.."
lichen=${1:-.build/debug/lichen}
data=${CAMVID:-../shared/data/camvid}
if [ ! -f "$data/train_images.bin" ]; then echo "segmentation check skipped: no CamVid at $data"; exit 0; fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export OMP_WAIT_POLICY=PASSIVE
tiny=(--threads 1 --data "$data" --width 0.125 --depths 1,1,1,1 --atrous-rates 1,2,3 --batch-size 4 --limit 16
      --eval-limit 8 --checkpoint-every 5)
"$lichen" segment train "${tiny[@]}" --max-steps 40 --epochs 10 --out "$work/straight" > "$work/straight.log"
"$lichen" segment train "${tiny[@]}" --max-steps 40 --epochs 10 --out "$work/resumed" > "$work/resumed.log" &
pid=$!
for _ in $(seq 1 200); do grep -q "step 1[0-9]/40" "$work/resumed.log" 2>/dev/null && break; sleep 0.05; done
kill -INT "$pid"
wait "$pid"
grep -q "interrupted at step" "$work/resumed.log"
"$lichen" segment train "${tiny[@]}" --max-steps 40 --epochs 10 --out "$work/resumed" --resume > "$work/resumed2.log"
grep -q "resumed at step" "$work/resumed2.log"
python3 - "$work/straight/model.safetensors" "$work/resumed/model.safetensors" <<'PY'
import json, struct, sys
def tensors(path):
    with open(path, 'rb') as f:
        n = struct.unpack('<Q', f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    header.pop('__metadata__', None)
    return {k: data[v['data_offsets'][0]:v['data_offsets'][1]] for k, v in header.items()}
a, b = tensors(sys.argv[1]), tensors(sys.argv[2])
assert a.keys() == b.keys() and all(a[k] == b[k] for k in a), "resumed weights differ"
PY
"$lichen" segment eval --model-file "$work/straight/model.safetensors" --data "$data" --split val --limit 4 \
  --json "$work/eval.json" > "$work/eval.log"
grep -q "mIoU" "$work/eval.log"
grep -q '"meanIoU"' "$work/eval.json"
for method in watermas substitution replicas laplacian; do
  "$lichen" segment embed "${tiny[@]}" --max-steps 3 --message "Lichen" --copies 3 --method "$method" \
    --replicas 2 --out "$work/$method" > "$work/$method.log"
  "$lichen" watermark verify --model "$work/$method/model.safetensors" --key "$work/$method/key.json" --message "Lichen" \
    > "$work/$method-verify.log"
  grep -q "BER 0.0000" "$work/$method-verify.log"
done
for method in watermas substitution; do
  "$lichen" watermark evaluate --threads 1 --data "$data" --model-file "$work/$method/model.safetensors" \
    --key "$work/$method/key.json" --message "Lichen" --eval-limit 4 --fine-tune-steps 1,2 --key-fine-tune-steps 1 \
    --timing-repetitions 1 --out "$work/$method-evaluation" > "$work/$method-evaluation.log"
  grep -q '"metric" : "mIoU"' "$work/$method-evaluation/evaluation.json"
done
"$lichen" watermark compare --result "$work/watermas-evaluation/evaluation.json" \
  --result "$work/substitution-evaluation/evaluation.json" --out "$work/comparison" > /dev/null
grep -q "test mIoU" "$work/comparison/fine-tuning-accuracy.svg"
echo "segmentation: resume exact across SIGINT, eval, embed (4 methods, BER 0), evaluate (mIoU) and compare"
