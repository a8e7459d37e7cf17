#!/usr/bin/env bash
# Trains one reference classifier on the CIFAR-10 copy (30,000 training images, all 10,000 test
# images) or on Fashion-MNIST (60,000 / 10,000) with a CPU-efficient recipe: bfloat16 autocast and channels-last batches (about 2x the
# float32 steps per second, docs/vision.md), label smoothing 0.1, cosine schedule, the
# architecture's usual optimizer. Resumable: run it again after an interruption and it continues
# from the run folder's checkpoint. At the end it writes the float16 copy a repository can hold.
#
# Usage: scripts/train-reference-classifier.sh ARCHITECTURE RUN_DIR
#   ARCHITECTURE: resnet18 | vgg16 | mobilenetv3-large | swin-t
# Env: LICHEN (binary, default .build/release/lichen), DATASET (cifar10 | fashion-mnist, default cifar10),
#   DATA (default ../shared/data/cifar10 for CIFAR-10, the dataset's usual place otherwise), WIDTH, EPOCHS
#   (Fashion-MNIST: 15 unless given), LR, SEED (default 1), THREADS (default 2),
#   PRECISION ("--bf16 --channels-last" by default; "" for float32), EXTRA (more train options),
#   EXPORT (float16 copy, default RUN_DIR/reference-float16.safetensors).
set -euo pipefail
architecture=${1:?usage: train-reference-classifier.sh ARCHITECTURE RUN_DIR}
run=${2:?usage: train-reference-classifier.sh ARCHITECTURE RUN_DIR}
lichen=${LICHEN:-.build/release/lichen}
dataset=${DATASET:-cifar10}
data=()
if [ -n "${DATA:-}" ]; then data=(--data "$DATA"); elif [ "$dataset" = cifar10 ]; then data=(--data ../shared/data/cifar10); fi
[ "$dataset" = fashion-mnist ] && EPOCHS=${EPOCHS:-15}

# Per architecture: width, epochs and optimizer settings (SGD with Nesterov momentum for the
# convolutional networks, AdamW with a warm-up for the transformer).
case "$architecture" in
  resnet18) recipe=(--optimizer sgd --weight-decay 5e-4); width=${WIDTH:-0.5}; epochs=${EPOCHS:-40}; lr=${LR:-0.1} ;;
  vgg16) recipe=(--optimizer sgd --weight-decay 5e-4); width=${WIDTH:-0.5}; epochs=${EPOCHS:-40}; lr=${LR:-0.05} ;;
  mobilenetv3-large) recipe=(--optimizer sgd --weight-decay 5e-4); width=${WIDTH:-1}; epochs=${EPOCHS:-60}; lr=${LR:-0.1} ;;
  swin-t) recipe=(--optimizer adamw --weight-decay 0.05 --warmup-epochs 5); width=${WIDTH:-0.5}; epochs=${EPOCHS:-100}
          lr=${LR:-1e-3} ;;
  *) echo "unknown architecture '$architecture' (resnet18 | vgg16 | mobilenetv3-large | swin-t)" >&2; exit 2 ;;
esac
precision=(${PRECISION---bf16 --channels-last})
mkdir -p "$run"
resume=()
[ -f "$run/checkpoint.safetensors" ] && resume=(--resume)
if [ ! -f "$run/eval.json" ]; then
  OMP_WAIT_POLICY=PASSIVE "$lichen" classify train --threads "${THREADS:-2}" --dataset "$dataset" "${data[@]}" --model "$architecture" \
    --width "$width" --epochs "$epochs" --lr "$lr" --schedule cosine --label-smoothing 0.1 --batch-size 128 \
    --seed "${SEED:-1}" --checkpoint-every 500 "${recipe[@]}" "${precision[@]}" ${EXTRA:-} --out "$run" "${resume[@]}"
fi
"$lichen" classify export --model-file "$run/model.safetensors" --out "${EXPORT:-$run/reference-float16.safetensors}"
python3 -c 'import json, sys; print("test accuracy %.2f%%" % (100 * json.load(open(sys.argv[1]))["accuracy"]))' "$run/eval.json"
