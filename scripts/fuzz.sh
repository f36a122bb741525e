#!/usr/bin/env bash
# Runs every cargo-fuzz target of fuzz/ for a while; exits non-zero on any crash, leak or
# timeout and prints the command that reproduces it. See docs/fuzzing.md.
#
#   scripts/fuzz.sh                  every target, 60 s each, stable toolchain, no sanitizer
#   scripts/fuzz.sh --smoke          every target, a few seconds each (what CI runs)
#   scripts/fuzz.sh --time 300 -j 2  every target, 5 minutes each, two at a time
#   scripts/fuzz.sh --asan           with the address sanitizer (needs a nightly toolchain)
#   scripts/fuzz.sh g_counter_ops    only the named targets
#
# New inputs found go to fuzz/target/found/<target>/ (not committed); crashes to
# fuzz/artifacts/<target>/; logs to fuzz/target/logs/<target>.log. The committed corpus
# (fuzz/corpus/) and regressions (fuzz/regressions/) are read, never written.
set -euo pipefail

usage() {
  sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'
  exit "${1:-0}"
}

seconds=60
jobs=1
asan=0
targets=()
while (($#)); do
  case "$1" in
    --smoke) seconds=4 ;;
    --time)
      [[ $# -ge 2 && $2 =~ ^[0-9]+$ ]] || usage 2
      seconds=$2
      shift
      ;;
    --time=*) seconds=${1#--time=} ;;
    -j | --jobs)
      [[ $# -ge 2 && $2 =~ ^[1-9][0-9]*$ ]] || usage 2
      jobs=$2
      shift
      ;;
    --asan) asan=1 ;;
    -h | --help) usage 0 ;;
    -*) echo "fuzz.sh: unknown option $1" >&2; usage 2 ;;
    *) targets+=("$1") ;;
  esac
  shift
done
[[ $seconds =~ ^[0-9]+$ ]] || usage 2

cd "$(dirname "$0")/.."
root=$PWD

if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "=== installing cargo-fuzz"
  cargo install cargo-fuzz --locked
fi

toolchain=()
sanitizer=(-s none)
if ((asan)); then
  if ! rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
    echo "fuzz.sh: --asan needs a nightly toolchain (rustup toolchain install nightly)" >&2
    exit 2
  fi
  toolchain=(+nightly)
  sanitizer=(-s address)
fi

# Every target: the [[bin]]s of fuzz/Cargo.toml, which crates/concord-fuzzing/tests/fuzz_crate.rs
# keeps equal to the table concord_fuzzing::TYPES.
if ((${#targets[@]} == 0)); then
  mapfile -t targets < <(cargo "${toolchain[@]}" fuzz list)
fi
((${#targets[@]})) || { echo "fuzz.sh: no targets" >&2; exit 2; }

echo "=== building ${#targets[@]} targets (${sanitizer[*]}${toolchain:+, ${toolchain[*]}})"
cargo "${toolchain[@]}" fuzz build "${sanitizer[@]}"

logs=fuzz/target/logs
mkdir -p "$logs"
rm -f "$logs"/*.status

# -timeout: one input taking longer than this is a finding. -rss_limit_mb: so is a process
# using more memory. Without a sanitizer there is no leak detection; --asan adds it.
fuzz_args=(-max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1)

run_target() {
  local t=$1 log="$logs/$1.log" status=0
  local work="fuzz/target/found/$t"
  local corpora=("$work" "fuzz/corpus/$t")
  [[ -d fuzz/regressions/$t ]] && corpora+=("fuzz/regressions/$t")
  mkdir -p "$work" "fuzz/artifacts/$t"
  cargo "${toolchain[@]}" fuzz run "${sanitizer[@]}" "$t" "${corpora[@]}" -- \
    "${fuzz_args[@]}" >"$log" 2>&1 || status=$?
  echo "$status" >"$logs/$t.status"
  local done_line execs
  done_line=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -n 1 || true)
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  if ((status == 0)); then
    printf '%-26s ok    execs %-9s %s\n' "$t" "${execs:-?}" "${done_line#*DONE }"
  else
    printf '%-26s FAIL  (exit %s) log: %s\n' "$t" "$status" "$log"
  fi
}

echo "=== fuzzing each target for ${seconds}s, $jobs at a time"
for t in "${targets[@]}"; do
  while (($(jobs -rp | wc -l) >= jobs)); do
    wait -n || true
  done
  run_target "$t" &
done
wait

failed=0
for t in "${targets[@]}"; do
  status=$(cat "$logs/$t.status" 2>/dev/null || echo missing)
  [[ $status == 0 ]] && continue
  failed=1
  echo
  echo "=== $t failed (exit $status); the end of $logs/$t.log:"
  tail -n 30 "$logs/$t.log"
  artifact=$(grep -oE 'fuzz/artifacts/[^ ]+' "$logs/$t.log" | tail -n 1 || true)
  if [[ -z $artifact ]]; then
    artifact=$(grep -oE "$root/fuzz/artifacts/[^ ]+" "$logs/$t.log" | tail -n 1 || true)
  fi
  echo "--- reproduce with:"
  echo "    cargo ${toolchain[*]:+${toolchain[*]} }fuzz run ${sanitizer[*]} $t ${artifact:-fuzz/artifacts/$t/<crash file>}"
  echo "--- minimise with:"
  echo "    cargo ${toolchain[*]:+${toolchain[*]} }fuzz tmin ${sanitizer[*]} $t ${artifact:-fuzz/artifacts/$t/<crash file>}"
done
if ((failed)); then
  echo
  echo "fuzz.sh: findings above; see docs/fuzzing.md to turn them into regression tests" >&2
  exit 1
fi
echo "=== all ${#targets[@]} targets ran ${seconds}s without a finding"
