#!/usr/bin/env bash
# Counts one benchmark row's routine under callgrind, with its cache and branch models, and
# prints the totals per call and per entry.
#
#   scripts/profile.sh <workload> [calls]     # scripts/profile.sh with no workload lists them
#
# Only the routine is counted (callgrind's --toggle-collect on concord_benches::profile::
# profiled), not the building of its inputs. The cache model is one core of the benchmark
# machine: 32 KiB 8-way L1 data cache, 1 MiB 16-way L2 as the last level.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --quiet --release -p concord-benches --bin profile
bin="${CARGO_TARGET_DIR:-target}/release/profile"
if [ $# -eq 0 ]; then
    "$bin"
    exit 0
fi
command -v valgrind >/dev/null || { echo "valgrind is needed: apt-get install valgrind" >&2; exit 1; }
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
valgrind --tool=callgrind --callgrind-out-file="$out/cg" \
    --toggle-collect='*profile::profiled*' \
    --cache-sim=yes --branch-sim=yes --D1=32768,8,64 --LL=1048576,16,64 \
    "$bin" "$@" >"$out/stdout" 2>"$out/stderr" || { cat "$out/stderr" >&2; exit 1; }
cat "$out/stdout"
# "<workload>: <calls> calls of <entries> entries (row ...)"
read -r calls entries < <(sed -E 's/^[^:]+: ([0-9]+) calls of ([0-9]+) entries.*/\1 \2/' "$out/stdout")
# The totals are the file's "events:" and "summary:" lines, in the same order.
awk -v calls="$calls" -v entries="$entries" '
    /^events:/ { for (i = 2; i <= NF; i++) name[i - 1] = $i }
    /^summary:/ { for (i = 2; i <= NF; i++) total[name[i - 1]] = $i }
    END {
        label["Ir"] = "instructions"; label["Dr"] = "data reads"; label["Dw"] = "data writes"
        label["D1mr"] = "L1 read misses"; label["D1mw"] = "L1 write misses"
        label["DLmr"] = "L2 read misses"; label["DLmw"] = "L2 write misses"
        label["Bc"] = "conditional branches"; label["Bcm"] = "  mispredicted"
        label["Bi"] = "indirect branches"; label["Bim"] = "  mispredicted"
        printf "%-24s %14s %14s %10s\n", "event", "total", "per call", "per entry"
        n = split("Ir Dr Dw D1mr D1mw DLmr DLmw Bc Bcm Bi Bim", show, " ")
        for (k = 1; k <= n; k++) {
            e = show[k]
            printf "%-24s %14d %14.1f %10.2f\n", label[e], total[e], total[e] / calls, total[e] / calls / entries
        }
    }' "$out/cg"
