#!/usr/bin/env bash
# Benchmark `lockgen plan` against pandas (read_csv + sort_values + to_csv, the usual advice)
# on the same synthetic loads, in the same run: 20 columns, a Zipf-distributed parent key
# (examples/plan_synth.rs). Prints medians (hyperfine), the ratio, seconds per million rows
# (linear cost shows as a flat column) and peak RSS (/usr/bin/time -v). Never a timed test.
#
#   bench/plan.sh                     # 100k, 1M and 10M rows
#   bench/plan.sh 100000 1000000      # other sizes
#   KEEP=1 bench/plan.sh              # keep the generated files (printed at the end)
set -euo pipefail
cd "$(dirname "$0")/.."

sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(100000 1000000 10000000)
PANDAS_VERSION=2.2.3

command -v hyperfine >/dev/null || apt-get install -y hyperfine >/dev/null 2>&1 || {
  echo "bench: hyperfine is needed (apt-get install hyperfine)" >&2; exit 2; }
[ -x /usr/bin/time ] || apt-get install -y time >/dev/null 2>&1 || {
  echo "bench: GNU time is needed (apt-get install time)" >&2; exit 2; }
python3 -c "import pandas, sys; sys.exit(pandas.__version__ != '$PANDAS_VERSION')" 2>/dev/null \
  || pip install --quiet "pandas==$PANDAS_VERSION" >/dev/null 2>&1 || {
  echo "bench: pip install pandas==$PANDAS_VERSION failed" >&2; exit 2; }

cargo build --release --quiet --locked
cargo build --release --quiet --locked --example plan_synth
lockgen=$(pwd)/target/release/lockgen
work=$(mktemp -d "${TMPDIR:-/tmp}/lockgen-plan-bench.XXXXXX")
[ -n "${KEEP:-}" ] || trap 'rm -rf "$work"' EXIT

cat >"$work/pandas_sort.py" <<'PY'
import sys
import pandas as pd

source, target = sys.argv[1], sys.argv[2]
frame = pd.read_csv(source)
frame.sort_values("Order__c").to_csv(target, index=False)
PY

median() { python3 -c 'import json,sys; print("%.3f" % json.load(open(sys.argv[1]))["results"][0]["median"])' "$1"; }
rss_of() { local log=$1; shift; /usr/bin/time -v "$@" >/dev/null 2>"$log" || true; awk '/Maximum resident/ {printf "%.0f", $6/1024}' "$log"; }

printf '%-10s %9s %11s %11s %8s %13s %13s %12s %12s\n' rows MB lockgen-s pandas-s ratio "lockgen-s/1M" "pandas-s/1M" "lockgen-MB" "pandas-MB"
for rows in "${sizes[@]}"; do
  target/release/examples/plan_synth --rows "$rows" --out "$work" >/dev/null
  load="$work/load-$rows.csv"
  mb=$(( $(stat -c %s "$load") / 1048576 ))
  if [ "$rows" -ge 10000000 ]; then runs=1; elif [ "$rows" -ge 1000000 ]; then runs=3; else runs=5; fi
  plan="$lockgen plan $load --object Line__c --project $work --format json --out $work/planned-$rows.csv"
  pandas="python3 $work/pandas_sort.py $load $work/pandas-$rows.csv"
  hyperfine -N --warmup 0 --runs "$runs" --export-json "$work/lockgen-$rows.json" "$plan" >/dev/null 2>&1
  hyperfine -N --warmup 0 --runs "$runs" --export-json "$work/pandas-$rows.json" "$pandas" >/dev/null 2>&1
  lockgen_s=$(median "$work/lockgen-$rows.json")
  pandas_s=$(median "$work/pandas-$rows.json")
  lockgen_mb=$(rss_of "$work/lockgen-$rows.time" $plan)
  pandas_mb=$(rss_of "$work/pandas-$rows.time" $pandas)
  python3 - "$rows" "$mb" "$lockgen_s" "$pandas_s" "$lockgen_mb" "$pandas_mb" <<'PY'
import sys
rows, mb = int(sys.argv[1]), int(sys.argv[2])
l, p = float(sys.argv[3]), float(sys.argv[4])
print(f"{rows:<10} {mb:>9} {l:>11.3f} {p:>11.3f} {p / l:>7.1f}x {l / rows * 1e6:>13.3f} {p / rows * 1e6:>13.3f} "
      f"{sys.argv[5]:>12} {sys.argv[6]:>12}")
PY
  rm -f "$work/pandas-$rows.csv"
  [ -n "${KEEP:-}" ] || rm -f "$work/planned-$rows.csv"
  # A file that fits in half of --memory is planned in memory; at 1M rows also time the
  # spilled path (--memory 64MB), to compare its cost per row with the 10M run's.
  if [ "$rows" -eq 1000000 ]; then
    spilled="$plan --memory 64MB"
    hyperfine -N --warmup 0 --runs "$runs" --export-json "$work/spilled-$rows.json" "$spilled" >/dev/null 2>&1
    spilled_s=$(median "$work/spilled-$rows.json")
    spilled_mb=$(rss_of "$work/spilled-$rows.time" $spilled)
    python3 - "$rows" "$mb" "$spilled_s" "$spilled_mb" <<'PY'
import sys
rows, mb, l = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
print(f"{str(rows) + '*':<10} {mb:>9} {l:>11.3f} {'-':>11} {'-':>8} {l / rows * 1e6:>13.3f} {'-':>13} {sys.argv[4]:>12} {'-':>12}")
PY
  fi
done
echo "lockgen: $plan" | sed "s|$work|\$WORK|g"
echo "pandas $PANDAS_VERSION: read_csv + sort_values(\"Order__c\") + to_csv(index=False)"
echo "1000000*: the same 1M file with --memory 64MB (spilled runs and bucket files, as at 10M)"
[ -z "${KEEP:-}" ] || echo "files kept in $work"
