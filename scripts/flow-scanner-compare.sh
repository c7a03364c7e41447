#!/usr/bin/env bash
# flow-scanner-compare.sh LOCKGEN DIR... — every DML-in-loop violation that Lightning Flow
# Scanner (@flow-scanner/lightning-flow-scanner-core, pinned below, from the npm registry)
# reports on an active or draft flow must also be a lockgen LCK007 finding on the same element.
# Prints, per DIR, how many each reports and which scanner violations lockgen misses; exits 1
# when one is missing, 2 when it cannot run. Needs node and npm.
set -uo pipefail
SCANNER_VERSION=6.6.0
here=$(cd "$(dirname "$0")" && pwd)
lockgen=${1:?usage: flow-scanner-compare.sh LOCKGEN DIR...}; shift
[ -x "$lockgen" ] || { echo "flow-scanner-compare: not executable: $lockgen" >&2; exit 2; }
cache=${LOCKGEN_FLOW_SCANNER_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/lockgen-flow-scanner-$SCANNER_VERSION}
if [ ! -d "$cache/node_modules/@flow-scanner/lightning-flow-scanner-core" ]; then
  mkdir -p "$cache" || exit 2
  (cd "$cache" && { [ -f package.json ] || npm init -y >/dev/null 2>&1; } \
    && npm install --silent --no-audit --no-fund "@flow-scanner/lightning-flow-scanner-core@$SCANNER_VERSION" >/dev/null 2>&1) \
    || { echo "flow-scanner-compare: could not install the scanner from the npm registry" >&2; exit 2; }
fi
missing_any=0
for dir in "$@"; do
  root=$(cd "$dir" && pwd)
  mapfile -d '' flows < <(find "$root" \( -name '*.flow-meta.xml' -o -path '*/flows/*.flow' \) -type f -print0 | sort -z)
  scanner=$(mktemp); ours=$(mktemp)
  if [ "${#flows[@]}" -gt 0 ]; then
    node "$here/flow-scanner-compare.mjs" "$cache" "$root" "${flows[@]}" >"$scanner" || { echo "flow-scanner-compare: the scanner failed on $dir" >&2; exit 2; }
  fi
  "$lockgen" lint "$root" --select LCK007 --format json --no-cache --fail-on never >"$ours" 2>/dev/null
  [ $? -le 1 ] || { echo "flow-scanner-compare: lockgen failed on $dir" >&2; exit 2; }
  python3 - "$root" "$scanner" "$ours" "$(basename "$root")" <<'PY' || missing_any=1
import json, re, sys
root, scanner_file, ours_file, name = sys.argv[1:]
scanner = {(v["file"], v["element"].lower()) for v in map(json.loads, open(scanner_file)) if v}
ours = set()
for finding in json.load(open(ours_file))["findings"]:
    path = finding["path"]
    if not (path.endswith(".flow-meta.xml") or path.endswith(".flow")):
        continue
    line = open(f"{root}/{path}", encoding="utf-8").read().splitlines()[finding["line"] - 1]
    element = re.search(r"<name>\s*(.*?)\s*</name>", line)
    if element:
        ours.add((path, element.group(1).lower()))
missing = sorted(scanner - ours)
print(f"{name:<40} scanner={len(scanner)} lockgen={len(ours)} missing={len(missing)} lockgen-only={len(ours - scanner)}")
for path, element in missing:
    print(f"    missing: {path}: {element}")
sys.exit(1 if missing else 0)
PY
  rm -f "$scanner" "$ours"
done
exit $missing_any
