#!/usr/bin/python3
"""Regenerates the serialization fixtures in this folder.

Run with Debian's interpreter, which has torch 1.13 (not the pyenv python3):

    /usr/bin/python3 Tests/TorchTests/Fixtures/make_fixtures.py

Everything is seeded and timestamps are fixed, so reruns give identical files,
except legacy_format.pth (its storage keys come from object ids). The tests
compare values against the JSON files, and the safetensors file byte for byte
with the Swift writer (this script lays it out as the reference writer does).

Files written:
  small_state_dict.pth          torch.save(model.state_dict())
  small_checkpoint.pth.tar      {"state_dict", "epoch", "optimizer", ...}
  mixed_tensors.pth             views, strides, offsets and every dtype
  small_state_dict.safetensors  same state dict, safetensors written here
  small_state_dict_zip64.pth    same archive re-packed with ZIP64 records
  legacy_format.pth             pre-1.6 (non-zip) torch.save format
  compressed_entries.pth        zip whose entries are deflated
  missing_entry.pth             zip lacking one data/<key> entry
  python_values.pth             plain Python values (protocol 2, torch's default)
  python_values_protocol4.pth   the same saved with pickle protocol 4
  small_state_dict.json         expected values for the state dict
  mixed_tensors.json            expected values for mixed_tensors.pth
"""

import argparse
import collections
import json
import os
import struct
import zipfile

import torch

HERE = os.path.dirname(os.path.abspath(__file__))

# safetensors dtype names, and the reference writer's dtype order (the
# declaration order of its Rust `Dtype` enum); tensors are laid out by
# descending rank, then by name.
ST_NAMES = {
    torch.bool: "BOOL", torch.uint8: "U8", torch.int8: "I8", torch.int16: "I16",
    torch.float16: "F16", torch.bfloat16: "BF16", torch.int32: "I32",
    torch.float32: "F32", torch.float64: "F64", torch.int64: "I64",
}
ST_RANK = ["BOOL", "U8", "I8", "I16", "F16", "BF16", "I32", "F32", "F64", "I64"]

DTYPE_NAMES = {
    torch.bool: "bool", torch.uint8: "uint8", torch.int8: "int8",
    torch.int16: "int16", torch.int32: "int32", torch.int64: "int64",
    torch.float16: "float16", torch.bfloat16: "bfloat16",
    torch.float32: "float32", torch.float64: "float64",
}


def path(name):
    return os.path.join(HERE, name)


def raw_bytes(t):
    """Contiguous row-major little-endian bytes of a tensor."""
    flat = t.detach().contiguous().reshape(-1)
    return flat.view(torch.uint8).numpy().tobytes() if flat.numel() else b""


def expected(name, t):
    t = t.detach()
    if t.dtype.is_floating_point:
        values = [float(v) for v in t.double().reshape(-1).tolist()]
    else:
        values = [int(v) for v in t.long().reshape(-1).tolist()]
    return {
        "name": name,
        "dtype": DTYPE_NAMES[t.dtype],
        "shape": list(t.shape),
        "values": values,
        "hex": raw_bytes(t).hex(),
    }


def write_json(document, file_name):
    """Compact JSON, one tensor per line so diffs stay readable."""
    lines = []
    for key, value in document.items():
        if key == "tensors":
            rows = ",\n  ".join(json.dumps(t, separators=(",", ":")) for t in value)
            lines.append('"tensors": [\n  %s\n]' % rows)
        else:
            lines.append("%s: %s" % (json.dumps(key), json.dumps(value, separators=(",", ":"))))
    with open(path(file_name), "w") as f:
        f.write("{\n" + ",\n".join(lines) + "\n}\n")


def write_safetensors(tensors, metadata, file_name):
    """Minimal safetensors writer matching the reference layout."""
    order = sorted(tensors, key=lambda n: (-ST_RANK.index(ST_NAMES[tensors[n].dtype]), n))
    header = collections.OrderedDict()
    if metadata:
        header["__metadata__"] = collections.OrderedDict(sorted(metadata.items()))
    data = b""
    for name in order:
        blob = raw_bytes(tensors[name])
        header[name] = collections.OrderedDict([
            ("dtype", ST_NAMES[tensors[name].dtype]),
            ("shape", list(tensors[name].shape)),
            ("data_offsets", [len(data), len(data) + len(blob)]),
        ])
        data += blob
    text = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path(file_name), "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + data)


def write_zip64(entries, file_name):
    """Stored zip where every size and offset goes through ZIP64 records."""
    out = bytearray()
    central = bytearray()
    for name, blob in entries:
        name_bytes = name.encode("utf-8")
        crc = zipfile.crc32(blob) & 0xFFFFFFFF
        offset = len(out)
        local_extra = struct.pack("<HHQQ", 1, 16, len(blob), len(blob))
        out += struct.pack("<IHHHHHIIIHH", 0x04034B50, 45, 0, 0, 0, 0x21, crc,
                           0xFFFFFFFF, 0xFFFFFFFF, len(name_bytes), len(local_extra))
        out += name_bytes + local_extra + blob
        central_extra = struct.pack("<HHQQQ", 1, 24, len(blob), len(blob), offset)
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 45, 45, 0, 0, 0, 0x21,
                               crc, 0xFFFFFFFF, 0xFFFFFFFF, len(name_bytes),
                               len(central_extra), 0, 0, 0, 0, 0xFFFFFFFF)
        central += name_bytes + central_extra
    cd_offset = len(out)
    out += central
    zip64_eocd = len(out)
    out += struct.pack("<IQHHIIQQQQ", 0x06064B50, 44, 45, 45, 0, 0,
                       len(entries), len(entries), len(central), cd_offset)
    out += struct.pack("<IIQI", 0x07064B50, 0, zip64_eocd, 1)
    out += struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 0xFFFF, 0xFFFF,
                       0xFFFFFFFF, 0xFFFFFFFF, 0)
    with open(path(file_name), "wb") as f:
        f.write(out)


def fixed_info(name):
    """Zip entry info with a fixed timestamp, so reruns give identical files."""
    return zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))


def read_entries(file_name):
    with zipfile.ZipFile(path(file_name)) as z:
        return [(info.filename, z.read(info)) for info in z.infolist()]


def make_model():
    torch.manual_seed(1234)
    model = torch.nn.Sequential(
        torch.nn.Conv2d(3, 4, 3),
        torch.nn.BatchNorm2d(4),
        torch.nn.ReLU(),
        torch.nn.Flatten(),
        torch.nn.Linear(16, 5),
    )
    # Two training steps so BatchNorm's running stats and num_batches_tracked
    # (an int64 buffer) hold non-default values, and SGD has momentum state.
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    for _ in range(2):
        loss = model(torch.randn(2, 3, 4, 4)).square().mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return model, optimizer


def main():
    model, optimizer = make_model()
    state_dict = model.state_dict()

    torch.save(state_dict, path("small_state_dict.pth"))
    torch.save({
        "epoch": 7,
        "state_dict": state_dict,
        "optimizer": optimizer.state_dict(),
        "best_loss": 0.25,
        "name": "small",
        "args": argparse.Namespace(lr=0.1, layers=[3, 4]),
        "device": torch.device("cpu"),
    }, path("small_checkpoint.pth.tar"))
    write_safetensors(state_dict, {"format": "pt"}, "small_state_dict.safetensors")
    write_json({
        "tensors": [expected(n, t) for n, t in state_dict.items()],
        "checkpoint": {"epoch": 7, "best_loss": 0.25, "name": "small"},
        "metadata": {"format": "pt"},
    }, "small_state_dict.json")

    # Re-pack the state dict archive with ZIP64 records and another prefix.
    entries = read_entries("small_state_dict.pth")
    renamed = [("renamed_archive/" + n.split("/", 1)[1], b) for n, b in entries]
    write_zip64(renamed, "small_state_dict_zip64.pth")

    torch.manual_seed(99)
    base = torch.arange(24, dtype=torch.float32).reshape(4, 6) / 8
    shared = torch.randn(10)
    mixed = collections.OrderedDict([
        ("transposed", base.t()),                     # strides (1, 6)
        ("sliced", base[1:, ::2]),                    # offset 6, strides (6, 2)
        ("half", torch.randn(2, 3).half()),
        ("double", torch.randn(3, dtype=torch.float64) * 1e10),
        ("bfloat16", torch.randn(4).bfloat16()),
        ("int32", torch.tensor([[-2147483648, 2147483647], [0, -1]], dtype=torch.int32)),
        ("int16", torch.tensor([-32768, 32767, 5], dtype=torch.int16)),
        ("int8", torch.tensor([-128, 127], dtype=torch.int8)),
        ("uint8", torch.tensor([0, 200, 255], dtype=torch.uint8)),
        ("bool", torch.tensor([True, False, True])),
        ("int64", torch.tensor([-(2 ** 62), 2 ** 62 + 1], dtype=torch.int64)),
        ("scalar", torch.tensor(3.5)),
        ("empty", torch.zeros(0, 3)),
        ("shared_head", shared[:4]),                  # two views of one storage
        ("shared_tail", shared[6:].view(2, 2)),
        ("expanded", torch.tensor([1.0, 2.0]).expand(3, 2)),  # stride 0
        ("parameter", torch.nn.Parameter(torch.randn(2, 2))),
        ("half_transposed", torch.randn(3, 2).half().t()),
    ])
    torch.save(mixed, path("mixed_tensors.pth"))
    write_json({"tensors": [expected(n, t) for n, t in mixed.items()]}, "mixed_tensors.json")

    torch.save({"w": torch.ones(2)}, path("legacy_format.pth"),
               _use_new_zipfile_serialization=False)

    small = collections.OrderedDict([("a", torch.ones(2)), ("b", torch.zeros(3))])
    torch.save(small, path("_small.pth"))
    small_entries = read_entries("_small.pth")
    os.remove(path("_small.pth"))
    with zipfile.ZipFile(path("compressed_entries.pth"), "w") as z:
        for name, blob in small_entries:
            z.writestr(fixed_info(name), blob, zipfile.ZIP_DEFLATED)
    with zipfile.ZipFile(path("missing_entry.pth"), "w") as z:
        for name, blob in small_entries:
            if not name.endswith("/data/1"):
                z.writestr(fixed_info(name), blob, zipfile.ZIP_STORED)

    # Python values around one tensor; protocol 2 stores bytes through
    # _codecs.encode and big ints as LONG1, protocol 4 adds FRAME, MEMOIZE,
    # SHORT_BINUNICODE and STACK_GLOBAL.
    values = {
        "tensor": torch.tensor([1.5, -2.0]),
        "none": None, "true": True, "false": False,
        "small": 5, "negative": -300, "int32": 70000, "big": 2 ** 70, "negative_big": -(2 ** 63),
        "float": 0.1, "text": "h\u00e9llo \u2603", "bytes": b"\x00\x01\xff",
        "tuple": (1, "two", 3.0), "list": [[], {}, ()], "nested": {"a": {"b": [1]}},
        1: "int key",
    }
    torch.save(values, path("python_values.pth"))
    torch.save(values, path("python_values_protocol4.pth"), pickle_protocol=4)

    # Self-checks: torch reads back what we wrote by hand.
    reloaded = torch.load(path("small_state_dict_zip64.pth"))
    assert all(torch.equal(reloaded[k], v) for k, v in state_dict.items())


if __name__ == "__main__":
    main()
