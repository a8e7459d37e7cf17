#!/usr/bin/env bash
# Publishes the watermarking headline so anyone can check it: the reference
# classifier, the unmarked controls and chosen marked runs of a security study
# (scripts/watermark-security.sh) are exported in float16 to
# docs/results/watermarking/models/ with the marked runs' keys, a manifest
# docs/results/watermarking/verify.json lists them with the attacks to claim,
# and `lichen watermark check-manifest --record` measures every claim on the
# exported files (full test set; the marked runs' keys get the channel
# signatures of their original models, so the realigning detector's results
# are claimed too). `lichen watermark check-manifest
# docs/results/watermarking/verify.json` then re-measures and compares.
#
# Usage: scripts/watermark-headline.sh REFERENCE_MODEL RUNS_DIR RUN_NAME...
#   RUN_NAME: marked run folders under RUNS_DIR (their seed's control-sN is published too)
# Env: LICHEN (binary, default .build/release/lichen), DATA (CIFAR-10 folder), THREADS (default 2).
set -euo pipefail
reference=${1:?usage: watermark-headline.sh REFERENCE_MODEL RUNS_DIR RUN_NAME...}
runs=${2:?usage: watermark-headline.sh REFERENCE_MODEL RUNS_DIR RUN_NAME...}
shift 2
[ $# -gt 0 ] || { echo "name at least one marked run" >&2; exit 2; }
lichen=${LICHEN:-.build/release/lichen}
data=${DATA:-../shared/data/cifar10}
threads=${THREADS:-2}
out=docs/results/watermarking
models=$out/models
mkdir -p "$models"

"$lichen" classify export --threads "$threads" --model-file "$reference" --out "$models/reference.safetensors"
entries=("reference|models/reference.safetensors||")
declare -A controls=()
for name in "$@"; do
  seed=${name##*-s}
  controls[$seed]=1
  "$lichen" classify export --threads "$threads" --model-file "$runs/$name/model.safetensors" --out "$models/$name.safetensors"
  "$lichen" watermark align-key --threads "$threads" --model "$runs/$name/model.safetensors" --key "$runs/$name/key.json" \
    --out "$models/$name-key.json"
  entries+=("$name|models/$name.safetensors|models/$name-key.json|$(python3 -c 'import json,struct,sys
f=open(sys.argv[1],"rb"); h=json.loads(f.read(struct.unpack("<Q",f.read(8))[0])); print(h["__metadata__"].get("watermark",""))' "$runs/$name/model.safetensors")")
done
for seed in "${!controls[@]}"; do
  "$lichen" classify export --threads "$threads" --model-file "$runs/control-s$seed/model.safetensors" \
    --out "$models/control-s$seed.safetensors"
  entries+=("control-s$seed|models/control-s$seed.safetensors||")
done

python3 - "$out/verify.json" "${entries[@]}" <<'PY'
import json, sys
path, rows = sys.argv[1], sys.argv[2:]
attacks = ["key-interception-randomize", "key-interception-flip", "key-interception-zero", "channel-permutation",
           "channel-rescaling:4", "dummy-neurons:1", "channel-sign-flip:0.5",
           "neuron-splitting:1"]
entries = []
for row in rows:
    name, model, key, method = row.split("|", 3)
    entry = {"name": name, "modelFile": model, "testMetric": 0, "attacks": {}, "detected": {}}
    if key:
        entry.update(keyFile=key, message="Lichen 2026", method=method,
                     attacks={a: 0 for a in attacks}, detected={a: False for a in ["none"] + attacks})
    entries.append(entry)
manifest = {"attackSeed": 1, "command": "scripts/watermark-headline.sh", "entries": entries}
with open(path, "w") as f:
    json.dump(manifest, f, indent=2, sort_keys=True)
PY
"$lichen" watermark check-manifest --threads "$threads" --data "$data" "$out/verify.json" --record
"$lichen" watermark check-manifest --threads "$threads" --data "$data" "$out/verify.json"
