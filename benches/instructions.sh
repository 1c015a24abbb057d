#!/usr/bin/env bash
# Instructions per span of every variant of the `translate` bench, counted by callgrind: exact and
# repeatable even on a busy machine, unlike times. Needs valgrind.
#
#   benches/instructions.sh [BATCHES]     (default 20 batches of 512 spans per variant)
#
# Each variant runs alone (TRANSLATE_BENCH_ONLY) and only `profile_loop` is counted. Keep the
# callgrind.*.out files (written to $OUT, default target/callgrind) for `callgrind_annotate`.
set -euo pipefail
cd "$(dirname "$0")/.."

batches="${1:-20}"
out="${OUT:-target/callgrind}"
mkdir -p "$out"

bin=$(cargo bench --bench translate --no-run 2>&1 | sed -n 's/.*Executable .*(\(.*\))$/\1/p' | tail -1)
[ -x "$bin" ] || { echo "bench binary not found" >&2; exit 1; }

variants=(
  java/otel-xray/otlp java/otel-xray/sdk java/opentelemetry-aws-0.21 java/opentelemetry-aws-0.21/meta
  rust/otel-xray/otlp rust/otel-xray/sdk rust/opentelemetry-aws-0.21 rust/opentelemetry-aws-0.21/meta
)
declare -A per_span
printf '%-6s %-28s %14s %10s\n' batch variant instr/span aws/this
for v in "${variants[@]}"; do
  file="$out/callgrind.${v//\//_}.out"
  TRANSLATE_BENCH_ONLY="$v" TRANSLATE_BENCH_BATCHES="$batches" valgrind --tool=callgrind \
    --callgrind-out-file="$file" --collect-atstart=no --toggle-collect='*profile_loop*' \
    "$bin" --bench >/dev/null 2>"$file.log"
  total=$(sed -n 's/.*Collected : \([0-9]*\).*/\1/p' "$file.log")
  per_span[$v]=$((total / (batches * 512)))
done
for v in "${variants[@]}"; do
  theirs=${per_span[${v%%/*}/opentelemetry-aws-0.21]}
  ratio=$(awk -v a="$theirs" -v b="${per_span[$v]}" 'BEGIN { printf "%.2f", a / b }')
  printf '%-6s %-28s %14s %9sx\n' "${v%%/*}" "${v#*/}" "${per_span[$v]}" "$ratio"
done
