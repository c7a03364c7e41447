#!/usr/bin/env node
// The GitHub Action's report: reorder `lockgen lint --format github` so that the most severe
// annotations come first (GitHub shows only 10 error and 10 warning annotations per step, 50 per
// job, and drops the rest without a word), and write the job summary in Markdown from
// `--format json`: counts by rule, the top findings, and how many annotations were not shown.
//   node action-report.js ANNOTATIONS_FILE FINDINGS_JSON SUMMARY_FILE
// The reordered annotations go to stdout. Every line of the annotations file is lockgen's, already
// escaped for a workflow log; the summary escapes what it takes from the JSON for Markdown.
"use strict";

const fs = require("node:fs");

// Per step, GitHub keeps this many annotations of each level.
const SHOWN_PER_LEVEL = 10;
const TOP_FINDINGS = 20;
const LEVELS = ["error", "warning", "notice"];
const SEVERITY_ORDER = { error: 0, warning: 1, info: 2 };

const [annotationsFile, findingsFile, summaryFile] = process.argv.slice(2);
if (!annotationsFile || !findingsFile || !summaryFile) {
  process.stderr.write("usage: action-report.js ANNOTATIONS_FILE FINDINGS_JSON SUMMARY_FILE\n");
  process.exit(2);
}

// Annotations, most severe first, in lockgen's order within a level; other lines after them.
const lines = fs.readFileSync(annotationsFile, "utf8").split("\n").filter((l) => l !== "");
const byLevel = Object.fromEntries(LEVELS.map((level) => [level, []]));
const other = [];
for (const line of lines) {
  const level = LEVELS.find((l) => line.startsWith(`::${l} `) || line.startsWith(`::${l}::`));
  (level ? byLevel[level] : other).push(line);
}
const ordered = [...LEVELS.flatMap((level) => byLevel[level]), ...other];
process.stdout.write(ordered.map((line) => `${line}\n`).join(""));
const hidden = Object.fromEntries(
  LEVELS.map((level) => [level, Math.max(0, byLevel[level].length - SHOWN_PER_LEVEL)]),
);
const hiddenTotal = LEVELS.reduce((sum, level) => sum + hidden[level], 0);

// The summary.
let report;
try {
  report = JSON.parse(fs.readFileSync(findingsFile, "utf8"));
} catch (error) {
  fs.appendFileSync(summaryFile, `## lockgen\n\nNo report: ${md(String(error.message))}\n`);
  process.exit(0);
}
const findings = report.findings || [];

function md(text) {
  // Table-safe and inert: no HTML, no line breaks, no links or emphasis; lockgen's `code` spans
  // stay code (inside them only a pipe needs escaping, for the table).
  const flat = String(text).replace(/[\u0000-\u001f\u007f]/g, " ").replace(/\s+/g, " ").trim();
  const plain = (part) => part.replace(/[\\`*_{}[\]()<>#+!|~&]/g, (c) => `\\${c}`);
  const parts = flat.split("`");
  if (parts.length % 2 === 0) {
    return plain(flat);
  }
  return parts.map((part, i) => (i % 2 === 0 ? plain(part) : `\`${part.replace(/\|/g, "\\|")}\``)).join("");
}

const bySeverity = { error: 0, warning: 0, info: 0 };
const byRule = new Map();
for (const f of findings) {
  bySeverity[f.severity] = (bySeverity[f.severity] || 0) + 1;
  const key = `${f.rule} ${f.name}`;
  const entry = byRule.get(key) || { rule: f.rule, name: f.name, severity: f.severity, count: 0 };
  entry.count += 1;
  byRule.set(key, entry);
}

const out = [];
out.push("## lockgen: record-lock contention");
out.push("");
if (findings.length === 0) {
  out.push("No findings in the files checked.");
} else {
  out.push(
    `**${findings.length} finding${findings.length === 1 ? "" : "s"}**: ` +
      `${bySeverity.error} error${bySeverity.error === 1 ? "" : "s"}, ` +
      `${bySeverity.warning} warning${bySeverity.warning === 1 ? "" : "s"}, ` +
      `${bySeverity.info} info.`,
  );
  out.push("");
  out.push("| rule | name | severity | findings |");
  out.push("|---|---|---|---:|");
  const rules = [...byRule.values()].sort(
    (a, b) => SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity] || b.count - a.count || a.rule.localeCompare(b.rule),
  );
  for (const r of rules) {
    out.push(`| ${md(r.rule)} | \`${md(r.name)}\` | ${md(r.severity)} | ${r.count} |`);
  }
  out.push("");
  const top = [...findings]
    .map((f, index) => ({ f, index }))
    .sort((a, b) => SEVERITY_ORDER[a.f.severity] - SEVERITY_ORDER[b.f.severity] || a.index - b.index)
    .slice(0, TOP_FINDINGS)
    .map(({ f }) => f);
  out.push(`### Top findings${findings.length > top.length ? ` (${top.length} of ${findings.length})` : ""}`);
  out.push("");
  out.push("| severity | rule | where | what |");
  out.push("|---|---|---|---|");
  for (const f of top) {
    out.push(`| ${md(f.severity)} | ${md(f.rule)} | ${md(`${f.path}:${f.line}`)} | ${md(f.message)} |`);
  }
}
out.push("");
if (hiddenTotal > 0) {
  const parts = LEVELS.filter((l) => hidden[l] > 0).map((l) => `${hidden[l]} ${l}${hidden[l] === 1 ? "" : "s"}`);
  out.push(
    `> **${hiddenTotal} annotation${hiddenTotal === 1 ? " was" : "s were"} not shown on the pull request** ` +
      `(${parts.join(", ")}): GitHub shows at most ${SHOWN_PER_LEVEL} of each level per step. ` +
      "The most severe were emitted first; the step log and the SARIF upload have them all.",
  );
  out.push("");
}
fs.appendFileSync(summaryFile, `${out.join("\n")}\n`);
