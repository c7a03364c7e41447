// Lists the DMLStatementInLoop violations that Lightning Flow Scanner reports on the active and
// draft flows under a folder, as JSON lines {"file": …, "element": …}. Run by
// scripts/flow-scanner-compare.sh, which installs the pinned scanner next to this file's copy.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";

const [scannerDir, root, ...files] = process.argv.slice(2);
const require = createRequire(path.join(scannerDir, "package.json"));
const { parse, scan } = require("@flow-scanner/lightning-flow-scanner-core");

// Only flows that run (active) or are about to (draft) are compared.
const wanted = files.filter((file) => {
  const status = /<status>\s*([A-Za-z]+)\s*<\/status>/.exec(readFileSync(file, "utf8"));
  return status && ["active", "draft"].includes(status[1].toLowerCase());
});
const parsed = await parse(wanted);
const results = scan(parsed, { rules: { DMLStatementInLoop: { severity: "error" } } });
for (const result of results) {
  const file = result.flow.fsPath ?? result.flow.uri ?? result.flow.name;
  for (const rule of result.ruleResults) {
    if (rule.ruleName !== "DMLStatementInLoop" && rule.ruleDefinition?.name !== "DMLStatementInLoop") continue;
    for (const detail of rule.details ?? []) {
      console.log(JSON.stringify({ file: path.relative(root, file), element: detail.name }));
    }
  }
}
for (const failed of parsed.filter((p) => p.errorMessage)) {
  console.error(`flow-scanner: could not parse ${failed.uri}: ${failed.errorMessage}`);
}
