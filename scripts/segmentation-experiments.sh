#!/usr/bin/env bash
# Segmentation watermarking experiments at a reduced CPU budget: DeepLabV3 (ResNet18-style basic
# blocks at WIDTH) on CamVid train, unmarked vs WaterMAS vs plain substitution with the same
# recipe, seed and steps, evaluated on CamVid test (mIoU); the attack sweep (`watermark
# evaluate`) on the WaterMAS model (and on the substitution model with SWEEP_ALL=1), then
# `watermark compare`. Small results are copied to docs/results/segmentation/.
# Resumable: finished runs are skipped, unfinished ones continue from their checkpoint.
#   scripts/segmentation-experiments.sh RUNS_DIR
# Environment: LICHEN (binary), DATA (CamVid folder), EPOCHS, WIDTH, BATCH, LR, THREADS,
# FINE_TUNE_STEPS, KEY_FINE_TUNE_STEPS, SWEEP_ALL, RESULTS, BASELINES=1 (also the Laplacian and
# replica (R = 2) baselines, swept when SWEEP_ALL=1).
set -euo pipefail
runs=${1:?usage: segmentation-experiments.sh RUNS_DIR}
lichen=${LICHEN:-.build/release/lichen}
data=${DATA:-../shared/data/camvid}
epochs=${EPOCHS:-20}
width=${WIDTH:-0.25}
batch=${BATCH:-8}
lr=${LR:-0.02}
threads=${THREADS:-1}
fine_tune_steps=${FINE_TUNE_STEPS:-50,200}
key_fine_tune_steps=${KEY_FINE_TUNE_STEPS:-10,100}
results=${RESULTS:-docs/results/segmentation}
message="Lichen WaterMAS"   # 120 payload bits, repetition x3 = 360 marked weights
# Atrous rates 2,4,6: torchvision's 12,24,36 are for 65x65 feature maps (513 crops at output
# stride 8); CamVid here is 96x128, 12x16 at output stride 8, where rate 12+ taps fall in the padding.
common=(--threads "$threads" --data "$data" --width "$width" --depths 2,2,2,2 --output-stride 8
        --atrous-rates 2,4,6 --epochs "$epochs" --batch-size "$batch" --optimizer sgd --lr "$lr"
        --schedule poly --seed 0 --checkpoint-every 100)
export OMP_WAIT_POLICY=PASSIVE

run_if_needed() {  # folder, command...
  local folder=$1; shift
  if [ -f "$folder/model.safetensors" ]; then echo "== $folder: done"; return; fi
  local resume=()
  [ -f "$folder/checkpoint.safetensors" ] && resume=(--resume)
  echo "== $folder: $*"
  nice -n 10 "$@" "${resume[@]}" --out "$folder" > "$folder.log" 2>&1 || { echo "failed: see $folder.log"; return 1; }
}

sweep() {  # name
  local name=$1
  [ -f "$base/$name/evaluation/evaluation.json" ] && return
  echo "== $base/$name: attack sweep"
  nice -n 10 "$lichen" watermark evaluate --threads "$threads" --data "$data" \
    --model-file "$base/$name/model.safetensors" --key "$base/$name/key.json" --message "$message" \
    --fine-tune-steps "$fine_tune_steps" --key-fine-tune-steps "$key_fine_tune_steps" --label "$name" \
    --out "$base/$name/evaluation" > "$base/$name/evaluation.log" 2>&1
}

base="$runs/deeplabv3-r18-w$width-e$epochs"
mkdir -p "$base" "$results"
run_if_needed "$base/unmarked" "$lichen" segment train "${common[@]}"
run_if_needed "$base/watermas" "$lichen" segment embed "${common[@]}" --message "$message" --copies 3 \
  --method watermas --rho 0.05 --sharpness 1.0
run_if_needed "$base/substitution" "$lichen" segment embed "${common[@]}" --message "$message" --copies 3 \
  --method substitution
marked=(watermas substitution)
if [ "${BASELINES:-0}" = 1 ]; then
  run_if_needed "$base/laplacian" "$lichen" segment embed "${common[@]}" --message "$message" --copies 3 \
    --method laplacian
  run_if_needed "$base/replicas" "$lichen" segment embed "${common[@]}" --message "$message" --copies 3 \
    --method replicas --replicas 2
  marked+=(laplacian replicas)
fi
sweep watermas
compared=(--result "$base/watermas/evaluation/evaluation.json")
if [ "${SWEEP_ALL:-0}" = 1 ]; then
  for name in "${marked[@]:1}"; do
    sweep "$name"
    compared+=(--result "$base/$name/evaluation/evaluation.json")
  done
fi
"$lichen" watermark compare "${compared[@]}" --out "$base/comparison" > "$base/comparison.txt"

# Summary: one line per run (test mIoU, pixel accuracy, BER of the mark, passes and seconds per step).
summary="$results/summary.csv"
echo "run,test_miou,test_pixel_accuracy,ber,false_positive_probability,backward_passes_per_step,seconds_per_step,steps,train_seconds" > "$summary"
for name in unmarked "${marked[@]}"; do
  miou=$(python3 -c "import json,sys; e=json.load(open(sys.argv[1])); print(e['meanIoU'], e['pixelAccuracy'])" "$base/$name/eval.json")
  ber=""; p=""
  if [ -f "$base/$name/key.json" ]; then
    line=$("$lichen" watermark verify --model "$base/$name/model.safetensors" --key "$base/$name/key.json" --message "$message" | head -1)
    ber=$(echo "$line" | sed -E 's/^BER ([0-9.]+).*/\1/')
    p=$(echo "$line" | sed -E 's/.*probability ([^:]+):.*/\1/')
  fi
  cost=""
  [ -f "$base/$name/cost.json" ] && cost=$(python3 -c "import json,sys; c=json.load(open(sys.argv[1])); print(c['backwardPassesPerStep'], c['secondsPerStep'])" "$base/$name/cost.json")
  steps=$(tail -1 "$base/$name/log.csv" | cut -d, -f1)
  # train_seconds from the model file's safetensors metadata (8-byte header length, JSON header).
  seconds=$(python3 -c "import json,struct,sys; f=open(sys.argv[1],'rb'); n=struct.unpack('<Q',f.read(8))[0]; print(json.loads(f.read(n))['__metadata__']['train_seconds'])" "$base/$name/model.safetensors")
  echo "$name,${miou% *},${miou#* },$ber,$p,${cost% *},${cost#* },$steps,$seconds" >> "$summary"
  cp "$base/$name/eval.json" "$results/$name-eval.json"
done
for name in "${marked[@]}"; do
  [ -f "$base/$name/evaluation/evaluation.csv" ] && cp "$base/$name/evaluation/evaluation.csv" "$results/$name-attacks.csv"
  [ -f "$base/$name/evaluation/evaluation.json" ] && cp "$base/$name/evaluation/evaluation.json" "$results/$name-evaluation.json"
  cp "$base/$name/cost.json" "$results/$name-cost.json"
done
cp "$base/comparison/comparison.csv" "$results/comparison.csv"
cat "$summary"
