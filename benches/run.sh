#!/usr/bin/env bash
# Prints throughput and peak memory of `cinlint ingest` and `cinlint check` on generated
# returns of 10k, 100k and 700k children (700k ≈ all of England in one year).
#   benches/run.sh [sizes...]      e.g. benches/run.sh 10000 100000
# Uses the release profile; keep other work off the machine while it runs.
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=("${@:-10000 100000 700000}")
read -r -a sizes <<< "${sizes[*]}"
cargo build --release --quiet
bin=${CARGO_TARGET_DIR:-target}/release/cinlint
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
printf '%-9s %-9s %9s %10s %12s %9s %12s %8s\n' children step MB seconds children/s MB/s peak_MiB rules_s
# For check steps, rules_s is the time after reading (the summary's total minus its read time).
rules_time() { sed -n 's/.* in \([0-9.]*\)s (read \([0-9.]*\)s).*/\1 \2/p' "$1" | awk '{printf "%.2f", $1-$2}'; }
for n in "${sizes[@]}"; do
  xml="$work/return-$n.xml"
  "$bin" generate --children "$n" --seed 42 --la 201 --year 2026 --defect-rate 0.1 --out "$xml" 2>/dev/null
  mb=$(awk -v b="$(stat -c %s "$xml")" 'BEGIN{printf "%.1f", b/1e6}')
  for step in ingest check; do
    if [ "$step" = ingest ]; then cmd=("$bin" ingest "$xml" --out "$work/out"); else cmd=("$bin" check "$xml" --format json --fail-on never); fi
    /usr/bin/time -f '%e %M' -o "$work/time" "${cmd[@]}" >/dev/null 2>"$work/err" || { cat "$work/err"; exit 1; }
    read -r secs kib < "$work/time"
    awk -v n="$n" -v s="$secs" -v mb="$mb" -v k="$kib" -v step="$step" \
      -v r="$(rules_time "$work/err")" \
      'BEGIN{printf "%-9d %-9s %9.1f %10.2f %12.0f %9.1f %12.0f %8s\n", n, step, mb, s, n/s, mb/s, k/1024, r}'
  done
done
# An LA export (SSD CSV folder) of EXPORT_CHILDREN children (default 100k, the size issue 5 sets).
n=${EXPORT_CHILDREN:-100000}
if [ "$n" -gt 0 ]; then
  dir="$work/export-$n"
  "$bin" generate --children "$n" --seed 42 --la 201 --year 2026 --defect-rate 0.1 --ssd --out "$dir" 2>/dev/null
  mb=$(du -sb "$dir" | awk '{printf "%.1f", $1/1e6}')
  for step in ingest check ours; do
    case $step in
      ingest) cmd=("$bin" ingest "$dir" --out "$work/out" --la 201) ;;
      check) cmd=("$bin" check "$dir" --format json --fail-on never) ;;
      # cinlint's own checks only (issue 6: all of them within 3 s on a 100k-child export).
      ours) cmd=("$bin" check "$dir" --select SES,REV,PLN,DUR --format json --fail-on never) ;;
    esac
    /usr/bin/time -f '%e %M' -o "$work/time" "${cmd[@]}" >/dev/null 2>"$work/err" || { cat "$work/err"; exit 1; }
    read -r secs kib < "$work/time"
    awk -v n="$n" -v s="$secs" -v mb="$mb" -v k="$kib" -v step="ssd-$step" -v r="$(rules_time "$work/err")" \
      'BEGIN{printf "%-9d %-9s %9.1f %10.2f %12.0f %9.1f %12.0f %8s\n", n, step, mb, s, n/s, mb/s, k/1024, r}'
  done
fi
