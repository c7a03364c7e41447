#!/usr/bin/env bash
# The GitHub Action's step (action.yml): lint the project, on a pull request only the files it
# changes (the whole project is still analysed), emit annotations most severe first, write the
# job summary, and optionally a SARIF file for github/codeql-action/upload-sarif.
#
# Inputs come as environment variables (action.yml sets them):
#   LOCKGEN          the lockgen command (default: lockgen on PATH)
#   INPUT_PATH       the project folder (default: .)
#   INPUT_FAIL_ON    error | warning | info | never (default: lockgen.toml's, else warning)
#   INPUT_CHANGED    true: on pull requests, report only findings in changed files (default)
#   INPUT_BASE       the revision to compare with (default: the pull request's base commit)
#   INPUT_SARIF      a file to write SARIF to (default: none)
# GitHub's own: GITHUB_EVENT_NAME, GITHUB_EVENT_PATH, GITHUB_STEP_SUMMARY, GITHUB_OUTPUT.
# Exit code: lockgen's (0 clean, 1 findings at or above fail-on, 2 error).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
lockgen=${LOCKGEN:-lockgen}
project=${INPUT_PATH:-.}
summary=${GITHUB_STEP_SUMMARY:-/dev/null}
output=${GITHUB_OUTPUT:-/dev/null}
work=$(mktemp -d "${RUNNER_TEMP:-${TMPDIR:-/tmp}}/lockgen-action.XXXXXX")
trap 'rm -rf "$work"' EXIT

args=()
if [ -n "${INPUT_FAIL_ON:-}" ]; then
  case "$INPUT_FAIL_ON" in
    error | warning | info | never) args+=(--fail-on "$INPUT_FAIL_ON") ;;
    *) echo "::error title=lockgen::fail-on must be error, warning, info or never" >&2; exit 2 ;;
  esac
fi

# The base of the comparison: the input, else the pull request's base commit from the event.
base=${INPUT_BASE:-}
if [ -z "$base" ] && [ "${INPUT_CHANGED:-true}" = "true" ] && [ -n "${GITHUB_EVENT_PATH:-}" ] \
  && [ -f "$GITHUB_EVENT_PATH" ]; then
  case "${GITHUB_EVENT_NAME:-}" in
    pull_request | pull_request_target | pull_request_review | pull_request_review_comment)
      base=$(node -e '
        const event = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
        const sha = event.pull_request && event.pull_request.base && event.pull_request.base.sha;
        if (typeof sha === "string" && /^[0-9a-f]{40,64}$/.test(sha)) process.stdout.write(sha);
      ' "$GITHUB_EVENT_PATH")
      ;;
  esac
fi
scope="the whole project"
if [ -n "$base" ] && [ "${INPUT_CHANGED:-true}" = "true" ]; then
  args+=("--changed-since=$base")
  scope="the files changed since ${base:0:12}"
fi

# Annotations (this run's exit code is the step's), then the same findings as JSON for the
# summary and, if asked, SARIF; the cache makes the later runs cheap.
set +e
"$lockgen" lint "$project" --format github "${args[@]}" >"$work/annotations" 2>"$work/stderr"
status=$?
set -e
cat "$work/stderr" >&2
if [ "$status" -ge 2 ]; then
  printf '## lockgen\n\nlockgen could not run (exit %s); see the step log.\n' "$status" >>"$summary"
  echo "exit-code=$status" >>"$output"
  exit "$status"
fi
"$lockgen" lint "$project" --format json --fail-on never "${args[@]}" >"$work/findings.json" 2>/dev/null || true
node "$here/action-report.js" "$work/annotations" "$work/findings.json" "$summary"
printf '\n_Checked: %s._\n' "$scope" >>"$summary"

if [ -n "${INPUT_SARIF:-}" ]; then
  "$lockgen" lint "$project" --format sarif --fail-on never "${args[@]}" >"$INPUT_SARIF" 2>/dev/null || true
  echo "sarif-file=$INPUT_SARIF" >>"$output"
fi
findings=$(node -e '
  try { process.stdout.write(String(JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).findings.length)); }
  catch { process.stdout.write("0"); }
' "$work/findings.json")
{
  echo "findings=$findings"
  echo "exit-code=$status"
} >>"$output"
exit "$status"
