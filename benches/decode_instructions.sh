#!/usr/bin/env bash
# Instructions per span of the two paths of the `decode` bench (prost decoding + translate_otlp,
# and the wire decoder), counted by callgrind: exact and repeatable even on a busy machine. Needs
# valgrind.
#
#   benches/decode_instructions.sh [REQUESTS]     (default 20 requests of 512 spans per path)
#
# Each path runs alone (DECODE_BENCH_ONLY) and only `profile_loop` is counted; the callgrind
# files stay in $OUT (default target/callgrind) for `callgrind_annotate`.
set -euo pipefail
cd "$(dirname "$0")/.."

requests="${1:-20}"
out="${OUT:-target/callgrind}"
mkdir -p "$out"

bin=$(cargo bench --bench decode --no-run 2>&1 | sed -n 's/.*Executable .*(\(.*\))$/\1/p' | tail -1)
[ -x "$bin" ] || { echo "bench binary not found" >&2; exit 1; }

printf '%-6s %-22s %12s %12s\n' batch path instr/span prost/wire
for batch in java rust; do
  declare -A per_span=()
  for path in prost+translate_otlp wire; do
    file="$out/callgrind.decode_${batch}_${path}.out"
    DECODE_BENCH_ONLY="$batch/$path" DECODE_BENCH_BATCHES="$requests" valgrind --tool=callgrind \
      --callgrind-out-file="$file" --collect-atstart=no --toggle-collect='*profile_loop*' \
      "$bin" --bench >/dev/null 2>"$file.log"
    total=$(sed -n 's/.*Collected : \([0-9]*\).*/\1/p' "$file.log")
    per_span[$path]=$((total / (requests * 512)))
  done
  for path in prost+translate_otlp wire; do
    ratio=$(awk -v a="${per_span[prost+translate_otlp]}" -v b="${per_span[$path]}" 'BEGIN { printf "%.2f", a / b }')
    printf '%-6s %-22s %12s %11sx\n' "$batch" "$path" "${per_span[$path]}" "$ratio"
  done
done
