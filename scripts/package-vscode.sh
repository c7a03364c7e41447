#!/usr/bin/env bash
# Package the VS Code extension offline, with the lockgen binary bundled: install the pinned
# dependencies (package-lock.json) in a scratch copy, compile the TypeScript client, run
# `vsce package --target linux-x64`, and check the .vsix: the client, vscode-languageclient,
# and bin/lockgen with its executable bit.
#   scripts/package-vscode.sh target/release/lockgen [OUT_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
binary=$(realpath "${1:?usage: scripts/package-vscode.sh LOCKGEN_BINARY [OUT_DIR]}")
out=$(realpath -m "${2:-$repo/target/vscode}")
work=$(mktemp -d "${TMPDIR:-/tmp}/lockgen-vscode.XXXXXX")
trap 'rm -rf "$work"' EXIT
export npm_config_cache="$work/npm-cache" npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false

cp -r editors/vscode "$work/extension"
rm -rf "$work/extension/node_modules" "$work/extension/out" "$work/extension/bin"
cd "$work/extension"
# --ignore-scripts: nothing of ours needs one (vsce's optional signing helper would want one).
npm ci --silent --ignore-scripts >"$work/npm.log" 2>&1 || { cat "$work/npm.log" >&2; exit 1; }
npx --no-install tsc -p .
mkdir -p bin
install -m 0755 "$binary" bin/lockgen
mkdir -p "$out"
vsix="$out/lockgen-linux-x64.vsix"
npx --no-install vsce package --target linux-x64 --out "$vsix" >"$work/vsce.log" 2>&1 \
  || { cat "$work/vsce.log" >&2; exit 1; }

python3 - "$vsix" <<'PY'
import sys, zipfile
vsix = zipfile.ZipFile(sys.argv[1])
names = set(vsix.namelist())
lower = {n.lower() for n in names}
for needed in ["extension/package.json", "extension/out/extension.js",
               "extension/node_modules/vscode-languageclient/package.json",
               "extension/readme.md", "extension/license.txt", "extension/bin/lockgen"]:
    if needed.lower() not in lower:
        sys.exit(f"vscode: {needed} is not in the .vsix")
for stray in ["extension/.gitignore", "extension/tsconfig.json"]:
    if stray in names:
        sys.exit(f"vscode: {stray} should not be in the .vsix")
binary = vsix.getinfo("extension/bin/lockgen")
mode = binary.external_attr >> 16
if not mode & 0o111:
    sys.exit(f"vscode: extension/bin/lockgen is not executable in the .vsix (mode {oct(mode)})")
manifest = vsix.read("extension.vsixmanifest").decode()
if 'TargetPlatform="linux-x64"' not in manifest:
    sys.exit("vscode: the .vsix is not marked for linux-x64")
for leaked in [n for n in names if n.startswith("extension/src/") or n.endswith(".ts") and not n.endswith(".d.ts")]:
    sys.exit(f"vscode: source file {leaked} is in the .vsix")
print(f"    {len(names)} files; bin/lockgen {oct(mode & 0o777)}, {binary.file_size // 1024} KiB; target linux-x64")
PY
echo "vscode: packaged $vsix"
