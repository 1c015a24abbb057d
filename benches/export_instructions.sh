#!/usr/bin/env bash
# Instructions per span of every variant of the `export` bench, counted by callgrind: exact and
# repeatable even on a busy machine, unlike times. Needs valgrind. (The `translate` bench's
# variants: benches/instructions.sh.)
#
#   benches/export_instructions.sh [EXPORTS]     (default 20 exports of a 512-span batch per variant)
#
# Each variant runs alone (EXPORT_BENCH_ONLY): one warm-up export, then EXPORTS exports of fresh
# clones of the batch, all cloned beforehand; only `profile_loop` is counted, so the clones are not,
# and dropping the exported spans is (it is part of every export; `drop-only` counts that part
# alone). Keep the callgrind.*.out files (written to $OUT, default target/callgrind) for
# `callgrind_annotate`.
set -euo pipefail
cd "$(dirname "$0")/.."

exports="${1:-20}"
out="${OUT:-${CARGO_TARGET_DIR:-target}/callgrind}"
mkdir -p "$out"

bin=$(cargo bench --bench export --no-run 2>&1 | sed -n 's/.*Executable .*(\(.*\))$/\1/p' | tail -1)
[ -x "$bin" ] || { echo "bench binary not found" >&2; exit 1; }

variants=(otel-xray aws-noop aws-serializing drop-only)
declare -A per_span
for v in "${variants[@]}"; do
  file="$out/callgrind.export_$v.out"
  EXPORT_BENCH_ONLY="$v" EXPORT_BENCH_BATCHES="$exports" valgrind --tool=callgrind \
    --callgrind-out-file="$file" --collect-atstart=no --toggle-collect='*profile_loop*' \
    "$bin" --bench >/dev/null 2>"$file.log"
  total=$(sed -n 's/.*Collected : \([0-9]*\).*/\1/p' "$file.log")
  per_span[$v]=$((total / (exports * 512)))
done
drop=${per_span[drop-only]}
printf '%-16s %12s %10s %9s %14s %8s\n' \
  variant instr/span noop/this ser/this 'ex-drop instr' ex-drop
for v in "${variants[@]}"; do
  mine=${per_span[$v]}
  ratios=$(awk -v n="${per_span[aws-noop]}" -v s="${per_span[aws-serializing]}" -v m="$mine" -v d="$drop" \
    'BEGIN { printf "%.2fx %.2fx %d ", n / m, s / m, m - d; if (m > d) printf "%.2fx", (n - d) / (m - d); else printf "-" }')
  read -r noop ser ex_drop ex_ratio <<<"$ratios"
  printf '%-16s %12s %10s %9s %14s %8s\n' "$v" "$mine" "$noop" "$ser" "$ex_drop" "$ex_ratio"
done
