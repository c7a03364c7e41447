#!/usr/bin/env bash
# Generate every kind of lock-safe Apex with every parameter set in
# tests/fixtures/generate/variants.txt into a copy of tests/fixtures/generate/project/, then
# check it the way Salesforce would: jorje (the Apex compiler's parser) and apex-ls (unknown
# types, methods and fields, missing interface methods) via ../shared/tools/validate-apex.sh,
# and lockgen lint, which must report nothing. (The static "would this test pass" check runs
# over the same variants in `cargo test --test generate`.)
#   scripts/validate-generated.sh [LOCKGEN]     (default: target/release/lockgen)
set -euo pipefail
cd "$(dirname "$0")/.."
lockgen=${1:-target/release/lockgen}
validator=${VALIDATE_APEX:-../shared/tools/validate-apex.sh}
[ -x "$lockgen" ] || { echo "validate-generated: $lockgen is not built" >&2; exit 2; }
[ -x "$validator" ] || { echo "validate-generated: $validator not found (set VALIDATE_APEX)" >&2; exit 2; }

work=$(mktemp -d "${TMPDIR:-/tmp}/lockgen-generated.XXXXXX")
trap 'rm -rf "$work"' EXIT
project="$work/project"
cp -R tests/fixtures/generate/project "$project"

variants=0
while read -r line; do
  case "$line" in '' | '#'*) continue ;; esac
  # shellcheck disable=SC2086 # one request, split into its words
  "$lockgen" new $line --project "$project" >/dev/null \
    || { echo "validate-generated: lockgen new $line failed" >&2; exit 1; }
  variants=$((variants + 1))
done <tests/fixtures/generate/variants.txt

# Generating again changes nothing: the same bytes, and the team's files are kept.
snapshot=$(cd "$project" && find . -type f -exec sha256sum {} + | sort)
while read -r line; do
  case "$line" in '' | '#'*) continue ;; esac
  # shellcheck disable=SC2086
  "$lockgen" new $line --project "$project" --force >/dev/null
done <tests/fixtures/generate/variants.txt
[ "$snapshot" = "$(cd "$project" && find . -type f -exec sha256sum {} + | sort)" ] \
  || { echo "validate-generated: generating twice gave different files" >&2; exit 1; }

apex=$(find "$project" -name '*.cls' -o -name '*.trigger' | wc -l)
echo "validate-generated: variants=$variants apex_files=$apex"
"$validator" "$project"
# Together, every rule but LCK002: jobs generated for the same objects share locks with each
# other, which is what LCK002 reports (each variant alone is linted with every rule by
# `cargo test --test generate`).
findings=$("$lockgen" lint "$project" --format json --fail-on info --ignore LCK002 | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["findings"]))')
[ "$findings" = 0 ] || { "$lockgen" lint "$project" --fail-on info --ignore LCK002; echo "validate-generated: lockgen lint found $findings findings in generated code" >&2; exit 1; }
echo "validate-generated: lockgen lint: no findings"
echo "validate-generated: passed: $variants variants"
