// The launcher passes arguments, streams, exit codes and signals through, and says what to do
// when no binary is installed. Run with `node --test npm/lockgen/test/`.
"use strict";

const { test } = require("node:test");
const assert = require("node:assert");
const { spawn, spawnSync } = require("node:child_process");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");

const LAUNCHER = path.join(__dirname, "..", "bin", "lockgen.js");
const unix = process.platform !== "win32";

function fakeBinary(body) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lockgen-launcher-"));
  const file = path.join(dir, "lockgen");
  fs.writeFileSync(file, `#!/bin/sh\n${body}\n`, { mode: 0o755 });
  return file;
}

function run(binary, args, options = {}) {
  return spawnSync(process.execPath, [LAUNCHER, ...args], {
    env: { ...process.env, LOCKGEN_BINARY: binary },
    encoding: "utf8",
    ...options,
  });
}

test("arguments, output and the exit code pass through", { skip: !unix }, () => {
  const binary = fakeBinary('printf "%s|" "$@"; echo err >&2; exit 3');
  const result = run(binary, ["lint", "a b", "--format", "json"]);
  assert.strictEqual(result.stdout, "lint|a b|--format|json|");
  assert.strictEqual(result.stderr, "err\n");
  assert.strictEqual(result.status, 3);
});

test("standard input reaches the binary (the language server talks over it)", { skip: !unix }, () => {
  const binary = fakeBinary("cat");
  const result = run(binary, ["lsp"], { input: "Content-Length: 2\r\n\r\n{}" });
  assert.strictEqual(result.stdout, "Content-Length: 2\r\n\r\n{}");
  assert.strictEqual(result.status, 0);
});

test("a binary killed by a signal ends the launcher by the same signal", { skip: !unix }, () => {
  const binary = fakeBinary("kill -TERM $$");
  const result = run(binary, []);
  assert.strictEqual(result.status, null);
  assert.strictEqual(result.signal, "SIGTERM");
});

test("a signal sent to the launcher is forwarded to the binary", { skip: !unix }, async () => {
  const binary = fakeBinary("trap 'exit 42' TERM; echo ready; while :; do sleep 0.05; done");
  const child = spawn(process.execPath, [LAUNCHER], {
    env: { ...process.env, LOCKGEN_BINARY: binary },
  });
  await new Promise((resolve) => child.stdout.once("data", resolve));
  child.kill("SIGTERM");
  const [code] = await new Promise((resolve) => child.on("exit", (...a) => resolve(a)));
  assert.strictEqual(code, 42);
});

test("without a platform package: exit 2 and what to do", () => {
  const env = { ...process.env };
  delete env.LOCKGEN_BINARY;
  const result = spawnSync(process.execPath, [LAUNCHER, "--version"], { env, encoding: "utf8" });
  assert.strictEqual(result.status, 2);
  assert.match(result.stderr, /@lockgen\/cli-.* is not installed/);
  assert.match(result.stderr, /LOCKGEN_BINARY/);
});

test("a binary that cannot run: exit 2", { skip: !unix }, () => {
  const result = run("/nonexistent/lockgen", []);
  assert.strictEqual(result.status, 2);
  assert.match(result.stderr, /cannot run \/nonexistent\/lockgen/);
});
