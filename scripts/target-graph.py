#!/usr/bin/env python3
"""The SwiftPM targets and their dependencies, drawn from Package.swift.

Writes a Mermaid graph and a layer table between the markers
<!-- targets:begin --> and <!-- targets:end --> of docs/architecture.md.
  scripts/target-graph.py          rewrite the block
  scripts/target-graph.py --check  exit 1 when the block differs from Package.swift
Either way it fails when a target that must link no libtorch (TORCH_FREE) reaches Torch.
"""
import json
import pathlib
import subprocess
import sys

root = pathlib.Path(__file__).resolve().parent.parent
doc = root / "docs" / "architecture.md"
begin, end = "<!-- targets:begin -->", "<!-- targets:end -->"

manifest = json.loads(subprocess.run(["swift", "package", "dump-package"], cwd=root, check=True,
                                     capture_output=True, text=True).stdout)
targets = {}
for target in manifest["targets"]:
    if target["type"] == "test":
        continue
    deps = []
    for dependency in target.get("dependencies", []):
        kind = next(iter(dependency))
        deps.append(dependency[kind][0])
    targets[target["name"]] = deps

def level(name, seen=()):
    """Longest dependency path below a target among our targets (0: depends on none of ours)."""
    if name in seen:
        raise SystemExit(f"dependency cycle through {name}")
    ours = [d for d in targets.get(name, []) if d in targets]
    return 0 if not ours else 1 + max(level(d, seen + (name,)) for d in ours)

# Targets that must link no libtorch: the integer codec path and the FPGA tools (and what they use).
TORCH_FREE = ["EntropyCoding", "Imaging", "CodecFormat", "LichenSerialization", "LichenRandom", "Reporting",
              "IntegerEngine", "IntegerCodec", "Hardware"]

def closure(name):
    """Every target of ours that `name` depends on, directly or not."""
    found, stack = set(), list(targets.get(name, []))
    while stack:
        dependency = stack.pop()
        if dependency in targets and dependency not in found:
            found.add(dependency)
            stack.extend(targets[dependency])
    return found

for name in TORCH_FREE:
    if name not in targets:
        raise SystemExit(f"{name} is listed as torch-free but is not a target")
    if {"CTorch", "Torch"} & closure(name):
        raise SystemExit(f"{name} must not depend on libtorch, but reaches Torch through its dependencies")

layers = {}
for name in targets:
    layers.setdefault(level(name), []).append(name)

lines = [begin, "", "```mermaid", "graph BT"]
for name, deps in targets.items():
    for dep in deps:
        lines.append(f"  {name} --> {dep}")
lines += ["```", "", "| layer | targets (each depends only on targets of lower layers, or outside packages) |", "|---|---|"]
for number in sorted(layers):
    lines.append(f"| {number} | " + ", ".join(sorted(layers[number])) + " |")
lines += ["", "Generated from Package.swift by `scripts/target-graph.py`; `--check` fails when it is stale.", "", end]
block = "\n".join(lines)

text = doc.read_text()
if begin not in text or end not in text:
    raise SystemExit(f"{doc}: no {begin} ... {end} block")
current = text[text.index(begin):text.index(end) + len(end)]
if "--check" in sys.argv[1:]:
    if current != block:
        print(f"{doc}: the target graph differs from Package.swift; run scripts/target-graph.py", file=sys.stderr)
        sys.exit(1)
    sys.exit(0)
doc.write_text(text.replace(current, block))
print(f"wrote the target graph into {doc}")
