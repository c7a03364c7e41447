//! Reporting: order findings deterministically and render them in the chosen format.

pub mod escape;
pub mod github;
pub mod human;
pub mod json;
pub mod junit;
pub mod sarif;

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
    /// Findings left out because the baseline records them (`None` without `--baseline`).
    pub baselined: Option<usize>,
    /// Test classes (a top-level `@IsTest` class) not parsed nor analysed: no rule reads them.
    pub skipped_test_classes: usize,
}

impl Summary {
    pub fn new(project: &Project, findings: &[Finding], baselined: Option<usize>) -> Summary {
        let mut summary = Summary {
            files: project.files.len(),
            findings: findings.len(),
            baselined,
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

/// Everything a reporter needs: the findings in output order, their fingerprints, the rules
/// that ran, and how many the baseline removed.
pub struct Report<'a> {
    pub project: &'a Project,
    pub findings: &'a [Finding],
    pub fingerprints: &'a [String],
    pub rules: &'a [&'static dyn crate::rules::Rule],
    pub summary: Summary,
}

/// A path as seen from the working directory: the project root's display path, then the
/// project-relative path. CI annotations (GitHub) and SARIF consumers resolve paths from the
/// repository root, where CI runs.
pub fn workspace_path(project: &Project, file: crate::index::FileId) -> String {
    let path = project.path(file);
    let root = project.root.trim_end_matches('/');
    if root == "." || root.is_empty() || root.starts_with('/') {
        path.to_string()
    } else {
        format!("{root}/{path}")
    }
}
