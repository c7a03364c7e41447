//! `--format github`: GitHub Actions workflow commands, one annotation per finding, shown on the
//! pull request's diff.

use std::io::{self, Write};

use super::escape::{workflow_data as data, workflow_property as property};
use super::{Report, human::summary_line, workspace_path};
use crate::rules::Severity;

pub fn render(report: &Report<'_>, out: &mut dyn Write) -> io::Result<()> {
    let project = report.project;
    for finding in report.findings {
        let command = match finding.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "notice",
        };
        let source = project.file(finding.file);
        let start = source.line_column(finding.span.start);
        let end = source.line_column(finding.span.end);
        let title = format!("{} {}", finding.rule.code, finding.rule.name);
        let mut message = finding.message.clone();
        if let Some(help) = &finding.help {
            message.push_str("\nhelp: ");
            message.push_str(help);
        }
        writeln!(
            out,
            "::{command} file={},line={},col={},endLine={},endColumn={},title={}::{}",
            property(&workspace_path(project, finding.file)),
            start.line,
            start.column,
            end.line,
            end.column,
            property(&title),
            data(&message)
        )?;
    }
    writeln!(out, "{}", summary_line(&report.summary))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_workflow_command_syntax() {
        assert_eq!(data("50% done\nnext"), "50%25 done%0Anext");
        assert_eq!(property("a:b,c"), "a%3Ab%2Cc");
    }
}
