#!/usr/bin/env bash
# Benchmark lockgen lint: cold runs (--no-cache) on synthetic projects of several sizes and on
# any real org clones given, with hyperfine (Debian package), plus a warm (cached) run and peak
# memory. Prints medians; never a timed test.
#
#   bench/run.sh                              # synthetic 100k, 300k and 1M lines
#   bench/run.sh 50000 200000                 # other sizes
#   bench/run.sh --org /work/orgs/NPSP        # add real projects (repeatable)
set -euo pipefail
cd "$(dirname "$0")/.."

sizes=()
orgs=()
while [ $# -gt 0 ]; do
  case "$1" in
    --org) shift; orgs+=("$1") ;;
    *) sizes+=("$1") ;;
  esac
  shift
done
[ ${#sizes[@]} -gt 0 ] || sizes=(100000 300000 1000000)

command -v hyperfine >/dev/null || apt-get install -y hyperfine >/dev/null 2>&1 || {
  echo "bench: hyperfine is needed (apt-get install hyperfine)" >&2; exit 2; }
cargo build --release --quiet
cargo build --release --quiet --example synth
lockgen=$(pwd)/target/release/lockgen
work=$(mktemp -d "${TMPDIR:-/tmp}/lockgen-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT

targets=()
for size in "${sizes[@]}"; do
  target/release/examples/synth --lines "$size" --out "$work/synth-$size" >/dev/null
  targets+=("$work/synth-$size")
done
targets+=("${orgs[@]}")

printf '%-22s %9s %6s %9s %8s %8s %9s %8s %9s\n' target "apex-lines" files "median-s" "min-s" "max-s" "s/100k" "warm-s" "rss-MB"
for target in "${targets[@]}"; do
  name=$(basename "$target")
  lines=$(find "$target" -path '*/node_modules' -prune -o \( -name '*.cls' -o -name '*.trigger' \) -print0 | xargs -0 cat | wc -l)
  files=$("$lockgen" lint "$target" --format json --fail-on never --no-cache | python3 -c 'import json,sys; print(json.load(sys.stdin)["summary"]["files"])')
  hyperfine -N --warmup 1 --runs 10 --export-json "$work/cold.json" \
    "$lockgen lint $target --format json --fail-on never --no-cache" >/dev/null 2>&1
  # Warm: the cache from one run, then an unchanged re-lint.
  rm -rf "$target/.lockgen"
  "$lockgen" lint "$target" --format json --fail-on never >/dev/null
  hyperfine -N --warmup 1 --runs 10 --export-json "$work/warm.json" \
    "$lockgen lint $target --format json --fail-on never" >/dev/null 2>&1
  rm -rf "$target/.lockgen"
  rss=$( { /usr/bin/time -f %M "$lockgen" lint "$target" --format json --fail-on never --no-cache >/dev/null; } 2>&1 | tail -1)
  python3 - "$work/cold.json" "$work/warm.json" "$name" "$lines" "$files" "$rss" <<'PY'
import json, sys
cold = json.load(open(sys.argv[1]))["results"][0]
warm = json.load(open(sys.argv[2]))["results"][0]
name, lines, files, rss = sys.argv[3], int(sys.argv[4]), sys.argv[5], int(sys.argv[6])
print(f"{name:<22} {lines:>9} {files:>6} {cold['median']:>9.3f} {cold['min']:>8.3f} {cold['max']:>8.3f} "
      f"{cold['median'] / lines * 100000:>9.3f} {warm['median']:>8.3f} {rss / 1024:>9.0f}")
PY
done
