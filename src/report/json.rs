//! `--format json`: the stable machine contract (see DESIGN.md, "JSON output").

use std::collections::BTreeMap;
use std::io::{self, Write};

use serde::Serialize;

use super::Summary;
use crate::index::{FileId, Project};
use crate::rules::{Finding, Severity};

#[derive(Serialize)]
struct Output<'a> {
    version: &'static str,
    root: &'a str,
    findings: Vec<JsonFinding<'a>>,
    summary: JsonSummary,
}

#[derive(Serialize)]
struct JsonFinding<'a> {
    rule: &'static str,
    name: &'static str,
    severity: Severity,
    path: &'a str,
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
    message: &'a str,
    /// The fix line, `null` when the rule has none.
    help: Option<&'a str>,
    object: Option<&'a str>,
    related: Vec<JsonRelated<'a>>,
}

#[derive(Serialize)]
struct JsonRelated<'a> {
    path: &'a str,
    line: usize,
    column: usize,
    message: &'a str,
}

#[derive(Serialize)]
struct JsonSummary {
    files: usize,
    parse_errors: usize,
    findings: usize,
    by_rule: BTreeMap<&'static str, usize>,
    /// Test classes not parsed nor analysed (no rule reads them).
    skipped_test_classes: usize,
    /// Only with `--baseline`.
    #[serde(skip_serializing_if = "Option::is_none")]
    baselined: Option<usize>,
}

pub fn render(
    project: &Project,
    findings: &[Finding],
    summary: &Summary,
    out: &mut dyn Write,
) -> io::Result<()> {
    let summary = summary.clone();
    let output = Output {
        version: env!("CARGO_PKG_VERSION"),
        root: &project.root,
        findings: findings.iter().map(|f| json_finding(project, f)).collect(),
        summary: JsonSummary {
            files: summary.files,
            parse_errors: summary.parse_errors,
            findings: summary.findings,
            by_rule: summary.by_rule,
            skipped_test_classes: summary.skipped_test_classes,
            baselined: summary.baselined,
        },
    };
    serde_json::to_writer_pretty(&mut *out, &output).map_err(io::Error::other)?;
    writeln!(out)
}

fn position(project: &Project, file: FileId, offset: u32) -> (usize, usize) {
    let at = project.file(file).line_column(offset);
    (at.line, at.column)
}

fn json_finding<'a>(project: &'a Project, finding: &'a Finding) -> JsonFinding<'a> {
    let (line, column) = position(project, finding.file, finding.span.start);
    let (end_line, end_column) = position(project, finding.file, finding.span.end);
    JsonFinding {
        rule: finding.rule.code,
        name: finding.rule.name,
        severity: finding.severity,
        path: project.path(finding.file),
        line,
        column,
        end_line,
        end_column,
        message: &finding.message,
        help: finding.help.as_deref(),
        object: finding.object.as_deref(),
        related: finding
            .related
            .iter()
            .map(|r| {
                let (line, column) = position(project, r.file, r.span.start);
                JsonRelated {
                    path: project.path(r.file),
                    line,
                    column,
                    message: &r.message,
                }
            })
            .collect(),
    }
}
