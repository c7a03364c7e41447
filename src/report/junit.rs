//! `--format junit`: JUnit XML (a test suite per rule that ran, a failed test case per finding,
//! one passing case for a rule without findings), as Jenkins and GitLab read it. Written with
//! quick-xml's writer, which escapes markup; characters XML 1.0 cannot hold at all are replaced
//! first, so a file name from the repository cannot break the document.

use std::fmt::Write as _;
use std::io::{self, Write};

use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesText, Event};

use super::Report;
use super::escape::{visible, xml_chars};

pub fn render(report: &Report<'_>, out: &mut dyn Write) -> io::Result<()> {
    let project = report.project;
    let mut writer = Writer::new_with_indent(io::BufWriter::new(&mut *out), b' ', 2);
    writer.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    let tests: usize = report
        .rules
        .iter()
        .map(|r| tests_of(report, r.meta().code))
        .sum();
    writer
        .create_element("testsuites")
        .with_attribute(("name", "lockgen"))
        .with_attribute(("tests", tests.to_string().as_str()))
        .with_attribute(("failures", report.findings.len().to_string().as_str()))
        .write_inner_content(|writer| {
            for rule in report.rules {
                let meta = rule.meta();
                let findings: Vec<_> = report
                    .findings
                    .iter()
                    .filter(|f| f.rule.code == meta.code)
                    .collect();
                let classname = format!("lockgen.{}", meta.code);
                writer
                    .create_element("testsuite")
                    .with_attribute(("name", format!("{} {}", meta.code, meta.name).as_str()))
                    .with_attribute(("tests", tests_of(report, meta.code).to_string().as_str()))
                    .with_attribute(("failures", findings.len().to_string().as_str()))
                    .write_inner_content(|writer| {
                        if findings.is_empty() {
                            writer
                                .create_element("testcase")
                                .with_attribute(("classname", classname.as_str()))
                                .with_attribute(("name", "no findings"))
                                .write_empty()?;
                        }
                        for finding in &findings {
                            let at = project.file(finding.file).line_column(finding.span.start);
                            let location = project.location(finding.file, finding.span.start);
                            // One line each for the finding, its help and every related place:
                            // names in them are escaped, so no line starts with anything else.
                            let mut body =
                                format!("{}: {}", visible(&location), visible(&finding.message));
                            if let Some(help) = &finding.help {
                                let _ = write!(body, "\nhelp: {}", visible(help));
                            }
                            for related in &finding.related {
                                let _ = write!(
                                    body,
                                    "\nrelated: {}: {}",
                                    visible(&project.location(related.file, related.span.start)),
                                    visible(&related.message)
                                );
                            }
                            let file = super::workspace_path(project, finding.file);
                            writer
                                .create_element("testcase")
                                .with_attribute(("classname", classname.as_str()))
                                .with_attribute(("name", attribute(&location).as_str()))
                                .with_attribute(("file", attribute(&file).as_str()))
                                .with_attribute(("line", at.line.to_string().as_str()))
                                .write_inner_content(|writer| {
                                    writer
                                        .create_element("failure")
                                        .with_attribute(("type", finding.severity.as_str()))
                                        .with_attribute((
                                            "message",
                                            attribute(&finding.message).as_str(),
                                        ))
                                        .write_text_content(BytesText::new(&xml_chars(&body)))?;
                                    Ok(())
                                })?;
                        }
                        Ok(())
                    })?;
            }
            Ok(())
        })?;
    let mut buffered = writer.into_inner();
    buffered.write_all(b"\n")?;
    buffered.flush()
}

/// An attribute value: one line, characters XML cannot hold replaced.
fn attribute(text: &str) -> String {
    xml_chars(&visible(text)).into_owned()
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
