#!/usr/bin/env bash
# The GitHub Action's script (scripts/action.sh) on a scratch repository with fake GITHUB_* files:
# a pull request that changes one class and adds thirteen with a DML statement in a loop.
#   tests/action/test-action.sh target/release/lockgen
# The checks pass their patterns and scripts in single quotes on purpose.
# shellcheck disable=SC2016
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$(pwd)
export LOCKGEN
LOCKGEN=$(realpath "${1:?usage: tests/action/test-action.sh LOCKGEN_BINARY}")
work=$(mktemp -d "${TMPDIR:-/tmp}/lockgen-action-test.XXXXXX")
trap 'rm -rf "$work"' EXIT
export XDG_CACHE_HOME="$work/cache" RUNNER_TEMP="$work"
passed=0
failed=0
check() { # check DESCRIPTION COMMAND...
  if "${@:2}"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAILED: $1" >&2; fi
}

# The repository: the example org on main, then a pull request's commit.
org="$work/org"
cp -r "$repo/examples/acme-billing" "$org"
cd "$org"
git init --quiet --initial-branch=main
git config user.email ci@lockgen.invalid
git config user.name "lockgen CI"
git add -A && git commit --quiet -m base
base=$(git rev-parse HEAD)
git checkout --quiet -b feature
classes=force-app/main/default/classes
sed -i 's/Status__c = .Posted.;/Status__c = '"'"'Posted'"'"'; \/\/ changed/' "$classes/InvoiceService.cls"
for i in $(seq 1 13); do
  cat >"$classes/Loop$i.cls" <<APEX
public with sharing class Loop$i {
    public static void touch(List<Account> accounts) {
        for (Account account : accounts) {
            update account;
        }
    }
}
APEX
done
git add -A && git commit --quiet -m "pull request"

event="$work/event.json"
printf '{"pull_request": {"base": {"sha": "%s"}, "head": {"sha": "%s"}}}\n' "$base" "$(git rev-parse HEAD)" >"$event"
run_action() { # run_action NAME [VAR=VALUE...]: stdout, summary and outputs in $work/NAME.*
  local name=$1
  shift
  : >"$work/$name.summary"
  : >"$work/$name.output"
  set +e
  env GITHUB_EVENT_NAME=pull_request GITHUB_EVENT_PATH="$event" \
    GITHUB_STEP_SUMMARY="$work/$name.summary" GITHUB_OUTPUT="$work/$name.output" "$@" \
    "$repo/scripts/action.sh" >"$work/$name.stdout" 2>"$work/$name.stderr"
  echo $? >"$work/$name.status"
  set -e
}

# 1. A pull request: only the changed files are reported, most severe first.
run_action pr INPUT_SARIF="$work/pr.sarif"
check "exit 1 on warnings" [ "$(cat "$work/pr.status")" = 1 ]
annotations=$(grep -E '^::(error|warning|notice) ' "$work/pr.stdout" || true)
check "fourteen LCK007 annotations" [ "$(grep -c 'LCK007' <<<"$annotations")" = 14 ]
check "unchanged files are not annotated" bash -c '! grep -q "AccountTrigger\|AccountLocker" "$1"' _ "$work/pr.stdout"
levels=$(sed -E 's/^::(error|warning|notice) .*/\1/' <<<"$annotations" | uniq | tr '\n' ' ')
check "most severe first (got: $levels)" bash -c '[[ "$1" =~ ^(error\ )?(warning\ )?(notice\ )?$ ]]' _ "$levels"
check "summary heading" grep -q '^## lockgen: record-lock contention' "$work/pr.summary"
check "summary counts by rule" grep -qE '^\| LCK007 \| `dml-in-loop` \| warning \| 14 \|$' "$work/pr.summary"
check "summary says how many were not shown" grep -q '4 annotations were not shown on the pull request\*\* (4 warnings)' "$work/pr.summary"
check "summary names the comparison" grep -q "the files changed since ${base:0:12}" "$work/pr.summary"
check "output findings=14" grep -qx 'findings=14' "$work/pr.output"
check "output exit-code=1" grep -qx 'exit-code=1' "$work/pr.output"
check "SARIF written" python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert len(d["runs"][0]["results"]) == 14' "$work/pr.sarif"
check "output sarif-file" grep -qx "sarif-file=$work/pr.sarif" "$work/pr.output"

# 2. A push (no pull request): the whole project, as lockgen lint reports it.
run_action push GITHUB_EVENT_NAME=push
check "push: the whole project" grep -q 'AccountTrigger' "$work/push.stdout"
check "push: errors annotated first" bash -c 'head -1 "$1" | grep -q "^::error "' _ "$work/push.stdout"
check "push: the parse error counted" grep -qE '^\| LCK000 \| `parse-error` \| error \| 1 \|$' "$work/push.summary"

# 3. fail-on error: warnings do not fail the step.
run_action fail_on INPUT_FAIL_ON=error
check "fail-on error: exit 0 on warnings only" [ "$(cat "$work/fail_on.status")" = 0 ]
run_action bad_fail_on INPUT_FAIL_ON=sometimes
check "fail-on sometimes: exit 2" [ "$(cat "$work/bad_fail_on.status")" = 2 ]

# 4. A revision that looks like an option is refused, never passed to git as one.
run_action bad_base INPUT_BASE=--output=/tmp/pwned
check "option-like base: exit 2" [ "$(cat "$work/bad_base.status")" = 2 ]
check "option-like base: said so" grep -q 'is not a git revision' "$work/bad_base.stderr"
check "option-like base: summary says lockgen could not run" grep -q 'could not run (exit 2)' "$work/bad_base.summary"
check "option-like base: nothing written" [ ! -e /tmp/pwned ]

# 5. An unknown base (a shallow checkout): one line, exit 2.
run_action unknown_base INPUT_BASE=0123456789abcdef0123456789abcdef01234567
check "unknown base: exit 2" [ "$(cat "$work/unknown_base.status")" = 2 ]
check "unknown base: says to fetch" grep -q 'unknown revision' "$work/unknown_base.stderr"

# 6. A file name that tries to start a workflow command stays inert in annotations and summary.
evil=$'force-app/main/default/classes/Evil\n::set-output name=x::y.cls'
mkdir -p "$(dirname "$evil")"
printf 'public class Evil { void m(List<Account> a) { for (Account x : a) { update x; } } }\n' >"$evil" 2>/dev/null || true
git add -A
git commit --quiet -m evil || true
run_action evil
check "no injected workflow command" bash -c '! grep -q "^::set-output" "$1"' _ "$work/evil.stdout"
check "no raw line break from a name in the summary" bash -c '! grep -q "^::set-output" "$1"' _ "$work/evil.summary"

echo "action script: $passed passed, $failed failed"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
