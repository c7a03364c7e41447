//! `--format junit`: JUnit XML (a test suite per rule that ran, a failed test case per finding,
//! one passing case for a rule without findings), as Jenkins and GitLab read it.

use std::fmt::Write as _;
use std::io::{self, Write};

use super::Report;

pub fn render(report: &Report<'_>, out: &mut dyn Write) -> io::Result<()> {
    let project = report.project;
    let mut xml = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        xml,
        "<testsuites name=\"lockgen\" tests=\"{}\" failures=\"{}\">",
        report
            .rules
            .iter()
            .map(|r| tests_of(report, r.meta().code))
            .sum::<usize>(),
        report.findings.len()
    );
    for rule in report.rules {
        let meta = rule.meta();
        let findings: Vec<_> = report
            .findings
            .iter()
            .filter(|f| f.rule.code == meta.code)
            .collect();
        let _ = writeln!(
            xml,
            "  <testsuite name=\"{} {}\" tests=\"{}\" failures=\"{}\">",
            meta.code,
            meta.name,
            tests_of(report, meta.code),
            findings.len()
        );
        if findings.is_empty() {
            let _ = writeln!(
                xml,
                "    <testcase classname=\"lockgen.{}\" name=\"no findings\"/>",
                meta.code
            );
        }
        for finding in findings {
            let at = project.file(finding.file).line_column(finding.span.start);
            let location = project.location(finding.file, finding.span.start);
            let mut body = format!("{location}: {}", finding.message);
            if let Some(help) = &finding.help {
                let _ = write!(body, "\nhelp: {help}");
            }
            for related in &finding.related {
                let _ = write!(
                    body,
                    "\nrelated: {}: {}",
                    project.location(related.file, related.span.start),
                    related.message
                );
            }
            let _ = writeln!(
                xml,
                "    <testcase classname=\"lockgen.{}\" name=\"{}\" file=\"{}\" line=\"{}\">",
                meta.code,
                escape(&location),
                escape(&super::workspace_path(project, finding.file)),
                at.line
            );
            let _ = writeln!(
                xml,
                "      <failure type=\"{}\" message=\"{}\">{}</failure>",
                finding.severity.as_str(),
                escape(&finding.message),
                escape(&body)
            );
            let _ = writeln!(xml, "    </testcase>");
        }
        let _ = writeln!(xml, "  </testsuite>");
    }
    xml.push_str("</testsuites>\n");
    out.write_all(xml.as_bytes())
}

/// A rule without findings counts as one passing test.
fn tests_of(report: &Report<'_>, code: &str) -> usize {
    report
        .findings
        .iter()
        .filter(|f| f.rule.code == code)
        .count()
        .max(1)
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Characters XML 1.0 cannot hold at all.
            c if (c as u32) < 0x20 && !matches!(c, '\n' | '\r' | '\t') => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}
