#!/usr/bin/env bash
# The npm distribution as a user gets it: stage the `lockgen` wrapper and the linux-x64 platform
# package (from the release binary), `npm pack` both, install the tarballs into a fresh project
# and run `npx lockgen lint` on the example org (exit 1, findings shown). Then the pre-commit
# hook's package (the repository's package.json) the same way, and the launcher's own tests.
#   scripts/npm-check.sh target/release/lockgen
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
binary=$(realpath "${1:?usage: scripts/npm-check.sh LOCKGEN_BINARY}")
work=$(mktemp -d "${TMPDIR:-/tmp}/lockgen-npm.XXXXXX")
trap 'rm -rf "$work"' EXIT
export npm_config_cache="$work/npm-cache" npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false

echo "launcher tests (node --test)"
node --test npm/lockgen/test/ 2>&1 | grep -E "^# (tests|pass|fail)" | sed 's/^/    /'

node npm/stage.mjs wrapper "$work/stage" >/dev/null
node npm/stage.mjs platform linux-x64 "$binary" "$work/stage" >/dev/null
mkdir -p "$work/tarballs"
for package in cli-linux-x64 lockgen; do
  (cd "$work/stage/$package" && npm pack --silent --pack-destination "$work/tarballs" >/dev/null)
done
(cd "$repo" && npm pack --silent --pack-destination "$work/tarballs" >/dev/null)
platform_tgz="$work/tarballs/lockgen-cli-linux-x64-0.1.0.tgz"
wrapper_tgz="$work/tarballs/lockgen-0.1.0.tgz"
hook_tgz="$work/tarballs/lockgen-pre-commit-0.1.0.tgz"
ls "$platform_tgz" "$wrapper_tgz" "$hook_tgz" >/dev/null

# The tarballs hold what they should, the binary with its executable bit, and no install script.
platform_files=$(tar -tvzf "$platform_tgz")
wrapper_files=$(tar -tzf "$wrapper_tgz" | LC_ALL=C sort | tr '\n' ' ')
grep -qE '^-rwx.* package/bin/lockgen$' <<<"$platform_files" \
  || { echo "npm: package/bin/lockgen is missing or not executable in the platform tarball" >&2; exit 1; }
[ "$wrapper_files" = 'package/LICENSE package/README.md package/bin/lockgen.js package/package.json ' ] \
  || { echo "npm: the wrapper tarball holds unexpected files: $wrapper_files" >&2; exit 1; }
for tgz in "$platform_tgz" "$wrapper_tgz" "$hook_tgz"; do
  if grep -qE '"(pre|post)?install"' <<<"$(tar -xOzf "$tgz" package/package.json)"; then
    echo "npm: $(basename "$tgz") has an install script" >&2; exit 1
  fi
done

# A fresh project installs both tarballs; npm skips the other platforms' optional packages.
mkdir -p "$work/project" && cd "$work/project"
npm init -y >/dev/null
npm install --silent "$platform_tgz" "$wrapper_tgz" >"$work/install.log" 2>&1 \
  || { cat "$work/install.log" >&2; exit 1; }
cp -r "$repo/examples/acme-billing" "$work/acme-billing"
set +e
npx --no-install lockgen lint "$work/acme-billing" --no-cache --color never >"$work/lint.out" 2>&1
status=$?
set -e
[ "$status" -eq 1 ] || { cat "$work/lint.out" >&2; echo "npm: expected exit 1 from npx lockgen lint, got $status" >&2; exit 1; }
grep -q 'LCK007' "$work/lint.out" || { cat "$work/lint.out" >&2; echo "npm: no findings shown" >&2; exit 1; }
echo "    npx lockgen lint examples/acme-billing: exit 1; $(grep -E '^lockgen: [0-9]+ findings' "$work/lint.out")"
npx --no-install lockgen --version 2>/dev/null | sed 's/^/    npx lockgen --version: /'

# Exit codes pass through: a usage error is 2.
set +e
npx --no-install lockgen lint --no-such-flag >/dev/null 2>&1
status=$?
set -e
[ "$status" -eq 2 ] || { echo "npm: expected exit 2 for a usage error, got $status" >&2; exit 1; }

# The pre-commit hook's package (language: node) runs the same binary.
mkdir -p "$work/hook" && cd "$work/hook"
npm init -y >/dev/null
npm install --silent "$platform_tgz" "$hook_tgz" >"$work/install-hook.log" 2>&1 \
  || { cat "$work/install-hook.log" >&2; exit 1; }
npx --no-install lockgen --version 2>/dev/null | sed 's/^/    pre-commit package: lockgen --version: /'
echo "npm: packed, installed from the tarballs, ran"
