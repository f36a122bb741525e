#!/usr/bin/env python3
"""Prints the result tables of docs/performance.md from criterion's saved estimates.

Usage: scripts/bench-tables.py [CRITERION_DIR]

CRITERION_DIR defaults to $CARGO_TARGET_DIR/criterion, else target/criterion. Every figure is
criterion's median of the last run of each benchmark; ratios are crdts / concord.
"""

import json
import os
import sys
from pathlib import Path


def load(root):
    medians = {}
    for bench in root.rglob("new/benchmark.json"):
        meta = json.loads(bench.read_text())
        estimates = json.loads((bench.parent / "estimates.json").read_text())
        medians[meta["full_id"]] = estimates["median"]["point_estimate"]
    return medians


def time(ns):
    if ns >= 1e6:
        return f"{ns / 1e6:.2f} ms"
    if ns >= 1e3:
        return f"{ns / 1e3:.2f} µs"
    return f"{ns:.1f} ns"


def per(ns, count):
    value = ns / count
    return f"{value:.2f}" if value < 100 else f"{value:.0f}"


def ratio(theirs, ours, bold=False):
    value = theirs / ours
    text = f"{value:.1f}×" if value >= 0.1 else f"{value:.2g}×"
    return f"**{text}**" if bold else text


def row(cells):
    print("| " + " | ".join(str(c) for c in cells) + " |")


def maps(m, group, title):
    print(f"#### `{group}`: {title}\n")
    row(["actors", "overlap", "n", "concord / merge", "concord ns/entry", "crdts / merge",
         "crdts ns/entry", "crdts ÷ concord"])
    row(["---", "---", "---:", "---:", "---:", "---:", "---:", "---:"])
    for kind in ["uuid", "u64"]:
        for overlap in ["same", "disjoint"]:
            for n in [8, 64, 1024, 16384]:
                ours = m.get(f"{group}/concord/{kind}/{overlap}/{n}")
                theirs = m.get(f"{group}/crdts/{kind}/{overlap}/{n}")
                if ours is None or theirs is None:
                    continue
                row([kind, overlap, n, time(ours), per(ours, n), time(theirs), per(theirs, n),
                     ratio(theirs, ours, n == 1024)])
    print()


def registers(m):
    print("#### `lww_register_merge`: 100,000 independent merges, 50% overwrites\n")
    row(["library", "per batch", "ns/register", "crdts ÷ concord"])
    row(["---", "---:", "---:", "---:"])
    ours = m.get("lww_register_merge/concord/100000")
    theirs = m.get("lww_register_merge/crdts/100000")
    if ours and theirs:
        row(["concord `LwwRegister`", time(ours), per(ours, 100000), ""])
        row(["crdts `LWWReg`", time(theirs), per(theirs, 100000), ratio(theirs, ours)])
    print("\n#### `mv_register_merge`: k concurrent siblings per side\n")
    row(["k", "concord / merge", "crdts / merge", "crdts ÷ concord"])
    row(["---:", "---:", "---:", "---:"])
    for k in [1, 4, 16]:
        ours = m.get(f"mv_register_merge/concord/{k}")
        theirs = m.get(f"mv_register_merge/crdts/{k}")
        if ours and theirs:
            row([k, time(ours), time(theirs), ratio(theirs, ours, k == 16)])
    print()


def sets(m):
    print("#### `set_merge`: m elements per side, 50% overlap\n")
    row(["m", "concord `LwwElementSet`", "ns/element", "crdts `GSet`", "ns/element",
         "crdts `Orswot`", "ns/element", "GSet ÷ concord", "Orswot ÷ concord"])
    row(["---:"] * 9)
    for size in [1000, 100000]:
        ours = m.get(f"set_merge/concord/lww_element_set/{size}")
        gset = m.get(f"set_merge/crdts/gset/{size}")
        orswot = m.get(f"set_merge/crdts/orswot/{size}")
        if ours and gset and orswot:
            row([size, time(ours), per(ours, size), time(gset), per(gset, size), time(orswot),
                 per(orswot, size), ratio(gset, ours), ratio(orswot, ours)])
    print()


def pairs(m, group, title, sizes, ours_id, theirs_id, ours_name, theirs_name, unit):
    print(f"#### `{group}`: {title}\n")
    row(["m", ours_name, f"ns/{unit}", theirs_name, f"ns/{unit}", "crdts ÷ concord"])
    row(["---:"] * 6)
    for size in sizes:
        ours = m.get(f"{group}/{ours_id}/{size}")
        theirs = m.get(f"{group}/{theirs_id}/{size}")
        if ours and theirs:
            row([size, time(ours), per(ours, size), time(theirs), per(theirs, size),
                 ratio(theirs, ours)])
    print()


def mutators(m):
    print("#### `or_set_insert_remove`: one absent element inserted and removed again, "
          "m elements present\n")
    row(["m", "concord `OrSet`", "crdts `Orswot`", "crdts ÷ concord"])
    row(["---:"] * 4)
    for size in [1000, 100000]:
        ours = m.get(f"or_set_insert_remove/concord/or_set/{size}")
        theirs = m.get(f"or_set_insert_remove/crdts/orswot/{size}")
        if ours and theirs:
            row([size, time(ours), time(theirs), ratio(theirs, ours)])
    print()


def codec(m):
    print("#### `encode` / `decode`\n")
    row(["state", "entries", "op", "concord", "ns/entry", "crdts + bincode", "ns/entry",
         "crdts ÷ concord"])
    row(["---", "---:", "---", "---:", "---:", "---:", "---:", "---:"])
    pairs = [("vector_clock", "vclock", 1024), ("pncounter", "pncounter", 1024),
             ("mv_register", "mvreg", 32), ("lww_element_set", "gset", 150000),
             ("lww_element_set", "orswot", 150000)]
    for op in ["encode", "decode"]:
        for ours_name, theirs_name, n in pairs:
            ours = m.get(f"{op}/concord/{ours_name}/{n}")
            theirs = m.get(f"{op}/crdts/{theirs_name}/{n}")
            if ours and theirs:
                row([f"{ours_name} vs {theirs_name}", n, op, time(ours), per(ours, n),
                     time(theirs), per(theirs, n), ratio(theirs, ours)])
    print()


def main():
    if len(sys.argv) > 1:
        root = Path(sys.argv[1])
    else:
        root = Path(os.environ.get("CARGO_TARGET_DIR", "target")) / "criterion"
    m = load(root)
    if not m:
        sys.exit(f"no criterion estimates under {root}: run cargo bench first")
    maps(m, "vector_clock_merge", "VectorClock vs VClock")
    maps(m, "gcounter_merge", "GCounter vs GCounter")
    maps(m, "pncounter_merge", "PnCounter vs PNCounter")
    registers(m)
    sets(m)
    pairs(m, "or_set_merge", "m present elements per side, 50% overlap, causal history",
          [1000, 100000], "concord/or_set", "crdts/orswot", "concord `OrSet`", "crdts `Orswot`",
          "element")
    mutators(m)
    pairs(m, "lww_map_merge", "m keys per side, 50% overlap, 10% deletes", [1000, 100000],
          "concord/lww_map", "crdts/btreemap_of_lwwreg", "concord `LwwMap`",
          "`BTreeMap` of crdts `LWWReg`", "key")
    codec(m)


if __name__ == "__main__":
    main()
