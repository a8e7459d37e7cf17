#!/usr/bin/env bash
# The bundled models in 8 bits for the FPGA, all four lambdas: int8-s16 (every product 8x8, the
# scales into the comparators in 16 bits; LICHEN_SCHEME picks another) with channel equalization
# across the GDNs, max calibration on 16 training photos and 1500 QAT steps at lr 1e-5 at each
# model's own lambda, each coded on all 24 Kodak images by the integer engine. Then the control that
# separates what QAT buys from what 1500 more steps buy: the float q4 fine-tuned for the same steps
# at the same lr and seed, and its post-training quantization. Last, the BD-rate of the four QAT'd
# points against the float models they started from.
# Usage: scripts/int8-qat.sh teachers|n64
#   teachers: the N=128 hyperprior-q2..q5 -> docs/results/integer/int8-teachers
#   n64:      the N=64 students hyperprior-qK-n64 -> docs/results/integer/int8-students
# Models and run folders go to LICHEN_RUNS (default runs/int8-<family>); an interrupted QAT or
# fine-tune resumes from its checkpoint on the next call, finished steps are skipped.
# LICHEN_QUALITIES picks the lambdas (default "q4 q2 q3 q5"); the BD-rate needs all four.
# LICHEN_CALIB_COUNT sets the photos that the equalization and calibration see (default 16; other counts
# write to OUT-calibN and runs/int8-<family>-calibN).
set -euo pipefail
cd "$(dirname "$0")/.."
family=${1:?usage: scripts/int8-qat.sh teachers|n64}
case $family in
  teachers) width="" n=128 floats=docs/results out=docs/results/integer/int8-teachers ;;
  n64) width=-n64 n=64 floats=docs/results/distillation/n64-continued out=docs/results/integer/int8-students ;;
  *) echo "int8-qat: unknown family '$family' (teachers or n64)" >&2; exit 2 ;;
esac
scheme=${LICHEN_SCHEME:-int8-s16}
[ "$scheme" = int8-s16 ] || out=$out-$scheme
calib_count=${LICHEN_CALIB_COUNT:-16}
suffix=""
[ "$calib_count" = 16 ] || suffix=-calib$calib_count
out=$out$suffix
kodak=${LICHEN_KODAK:-../shared/data/kodak}
calib=${LICHEN_CALIB:-../shared/data/photos-train}
runs=${LICHEN_RUNS:-runs/int8-$family$suffix}
threads=${LICHEN_THREADS:-2}
lichen=${LICHEN_BINARY:-.build/release/lichen}
[ -n "${LICHEN_BINARY:-}" ] || swift build -c release --product lichen
mkdir -p "$out" "$runs"
run() { OMP_WAIT_POLICY=PASSIVE nice -n 10 "$lichen" "$@"; }
resume_flag() { [ -f "$1/checkpoint.safetensors" ] && echo --resume || true; }
eval_kodak() { # model, name, engine
  [ -f "$out/$2.json" ] && return
  run eval --threads "$threads" --engine "$3" --model "$1" --data "$kodak" --json "$out/$2.json" | tail -1
  scripts/name-eval.py "$out/$2.json" "$2"
}
for q in ${LICHEN_QUALITIES:-q4 q2 q3 q5}; do
  name=hyperprior-$q$width-$scheme
  if [ ! -f "$runs/$name.safetensors" ]; then
    run quantize --threads "$threads" --model "hyperprior-$q$width" --scheme "$scheme" --equalize 1 --calib "$calib" \
      --calib-count "$calib_count" --qat-steps 1500 --learning-rate 1e-5 --qat-run "$runs/$name-qat" \
      $(resume_flag "$runs/$name-qat") --out "$runs/$name.safetensors" | tail -1
  fi
  eval_kodak "$runs/$name.safetensors" "$name" integer
done
# Control: the same 1500 steps in float (q4), then post-training quantization of that fine-tune.
control=$runs/q4$width-float-ft1500
if [ ! -f "$control/model.safetensors" ]; then
  run train --threads "$threads" --N $n --lambda 0.013 --init-from "hyperprior-q4$width" --data "$calib" --crop 128 \
    --batch-size 8 --steps 1500 --learning-rate 1e-5 --validate-every 500 --checkpoint-every 250 --seed 1 \
    --out "$control" $(resume_flag "$control") | tail -1
fi
eval_kodak "$control/model.safetensors" "hyperprior-q4$width-float-ft1500" float
if [ ! -f "$control-$scheme.safetensors" ]; then
  run quantize --threads "$threads" --model "$control/model.safetensors" --scheme "$scheme" --equalize 1 \
    --calib "$calib" --calib-count "$calib_count" --out "$control-$scheme.safetensors" | tail -1
fi
eval_kodak "$control-$scheme.safetensors" "hyperprior-q4$width-float-ft1500-$scheme-ptq" integer
for q in q2 q3 q4 q5; do
  [ -f "$out/hyperprior-$q$width-$scheme.json" ] || { echo "int8-qat: no BD-rate without all four lambdas"; exit 0; }
done
for q in q2 q3 q4 q5; do
  scripts/name-eval.py "$floats/hyperprior-$q$width.json" float "$out/float-$q.json"
done
run rd-plot "$out"/float-q?.json "$out"/hyperprior-q?$width-$scheme.json --anchor float \
  --out "$out/rd-vs-float.svg" --table "$out/bd-vs-float.csv" \
  --title "Kodak (24 images): N=$n, $scheme (equalized, QAT) vs float"
