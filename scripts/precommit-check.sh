#!/usr/bin/env bash
# Run lockgen the way a team would: as a pre-commit hook (the real `pre-commit` tool from PyPI,
# pinned), installed from this repository's .pre-commit-hooks.yaml, on a scratch git repository.
# The hook must report findings in the staged files only, while still analysing the project.
#   scripts/precommit-check.sh
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
rev=$(git rev-parse HEAD)
work=$(mktemp -d "${TMPDIR:-/tmp}/lockgen-precommit.XXXXXX")
trap 'rm -rf "$work"' EXIT

python3 -m venv "$work/venv"
"$work/venv/bin/pip" install --quiet "pre-commit==4.0.1"
export PRE_COMMIT_HOME="$work/cache"
# Reuse this checkout's compiled dependencies when pre-commit builds the hook with cargo install.
export CARGO_TARGET_DIR="$repo/target"

org="$work/org"
mkdir -p "$org/force-app/main/default/classes"
cd "$org"
git init --quiet
git config user.email ci@lockgen.invalid
git config user.name "lockgen CI"
cat >sfdx-project.json <<'JSON'
{"packageDirectories": [{"path": "force-app", "default": true}], "sourceApiVersion": "61.0"}
JSON
cat >.pre-commit-config.yaml <<YAML
repos:
  - repo: $repo
    rev: $rev
    hooks:
      - id: lockgen
YAML
loop_class() { # name
  cat >"force-app/main/default/classes/$1.cls" <<APEX
public with sharing class $1 {
    public static void touch(List<Account> accounts) {
        for (Account a : accounts) {
            update a;
        }
    }
}
APEX
}
loop_class Committed
git add -A && git commit --quiet --no-verify -m "existing code with a finding"
loop_class Staged
touch force-app/main/default/classes/Unstaged.cls && loop_class Unstaged
git add force-app/main/default/classes/Staged.cls

set +e
output=$("$work/venv/bin/pre-commit" run 2>&1)
status=$?
set -e
echo "$output" | sed 's/^/    /'
[ "$status" -eq 1 ] || { echo "precommit-check: expected the hook to fail (exit 1), got $status" >&2; exit 1; }
grep -q "Staged.cls" <<<"$output" || { echo "precommit-check: the staged file's finding is missing" >&2; exit 1; }
if grep -q "Committed.cls\|Unstaged.cls" <<<"$output"; then
  echo "precommit-check: findings outside the staged files were reported" >&2; exit 1
fi
echo "precommit-check: the hook reported the staged file only"
