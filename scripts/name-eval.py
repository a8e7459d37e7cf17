#!/usr/bin/env python3
"""Names the model of a `lichen eval --json` file, so `lichen rd-plot` groups it into the series that name gives
("hyperprior-q4-n64" -> series "hyperprior-n64"). Files evaluated by path record the path as their model.

Usage: scripts/name-eval.py EVAL.json NAME [OUT.json]   (default: EVAL.json in place; written atomically)
"""
import json
import os
import sys

if len(sys.argv) not in (3, 4):
    sys.exit("usage: scripts/name-eval.py EVAL.json NAME [OUT.json]")
source, name = sys.argv[1], sys.argv[2]
target = sys.argv[3] if len(sys.argv) == 4 else source
try:
    evaluation = json.load(open(source))
except (OSError, ValueError) as error:
    sys.exit(f"name-eval: {source}: {error}")
evaluation["model"] = name
temporary = target + ".tmp"
with open(temporary, "w") as f:
    json.dump(evaluation, f, indent=2, sort_keys=True)
os.replace(temporary, target)
