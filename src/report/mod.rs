//! Reporting: order findings deterministically and render them in the chosen format.

pub mod human;
pub mod json;

use std::collections::BTreeMap;

use crate::index::Project;
use crate::rules::{Finding, Severity};

/// Sort findings by path, line, column, rule, then message: the output order is a contract.
pub fn sort(project: &Project, findings: &mut [Finding]) {
    findings.sort_by(|a, b| {
        let pa = project.path(a.file);
        let pb = project.path(b.file);
        pa.cmp(pb)
            .then(a.span.start.cmp(&b.span.start))
            .then(a.rule.code.cmp(b.rule.code))
            .then(a.span.end.cmp(&b.span.end))
            .then(a.message.cmp(&b.message))
    });
}

/// Counts for summaries.
#[derive(Debug, Default, Clone)]
pub struct Summary {
    pub files: usize,
    pub parse_errors: usize,
    pub findings: usize,
    pub by_rule: BTreeMap<&'static str, usize>,
    pub by_severity: BTreeMap<Severity, usize>,
}

impl Summary {
    pub fn new(project: &Project, findings: &[Finding]) -> Summary {
        let mut summary = Summary {
            files: project.files.len(),
            findings: findings.len(),
            ..Summary::default()
        };
        for finding in findings {
            *summary.by_rule.entry(finding.rule.code).or_default() += 1;
            *summary.by_severity.entry(finding.severity).or_default() += 1;
            if finding.rule.code == "LCK000" {
                summary.parse_errors += 1;
            }
        }
        summary
    }
}
