//! The terminal format: one miette report per finding (code, message, the source snippet with
//! the span underlined, related places, help), then a one-line summary.

use std::fmt;
use std::io::{self, Write};

use miette::{
    Diagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteError,
    MietteSpanContents, SourceCode, SourceSpan, SpanContents,
};

use super::Summary;
use crate::apex::Span;
use crate::index::{FileId, Project};
use crate::rules::{Finding, Severity};

#[derive(Debug, Clone, Copy)]
pub struct HumanOptions {
    pub color: bool,
    pub width: usize,
}

pub fn render(
    project: &Project,
    findings: &[Finding],
    summary: &Summary,
    options: HumanOptions,
    out: &mut dyn Write,
) -> io::Result<()> {
    let theme = if options.color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(options.width)
        .with_links(false)
        .with_context_lines(1);
    for finding in findings {
        let report = FindingReport::new(project, finding);
        let mut text = String::new();
        if handler.render_report(&mut text, &report).is_err() {
            // A span the renderer cannot place: fall back to a plain line, never lose a finding.
            text = format!(
                "{}: {} {}\n",
                project.location(finding.file, finding.span.start),
                finding.rule.code,
                finding.message
            );
        }
        out.write_all(text.as_bytes())?;
        writeln!(out)?;
    }
    writeln!(out, "{}", summary_line(summary))
}

pub fn summary_line(summary: &Summary) -> String {
    let files = plural(summary.files, "file");
    let baselined = summary
        .baselined
        .filter(|n| *n > 0)
        .map(|n| format!("; {n} more in the baseline"))
        .unwrap_or_default();
    if summary.findings == 0 {
        return format!("lockgen: no findings in {files}{baselined}");
    }
    let mut parts = Vec::new();
    for severity in [Severity::Error, Severity::Warning, Severity::Info] {
        if let Some(count) = summary.by_severity.get(&severity) {
            let word = match severity {
                Severity::Error => plural(*count, "error"),
                Severity::Warning => plural(*count, "warning"),
                Severity::Info => format!("{count} info"),
            };
            parts.push(word);
        }
    }
    format!(
        "lockgen: {} ({}) in {files}{baselined}",
        plural(summary.findings, "finding"),
        parts.join(", ")
    )
}

fn plural(count: usize, word: &str) -> String {
    if count == 1 {
        format!("1 {word}")
    } else {
        format!("{count} {word}s")
    }
}

/// A file's text under its project-relative name, for miette.
struct FileSource<'p> {
    name: &'p str,
    text: &'p str,
}

impl SourceCode for FileSource<'_> {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let inner = self
            .text
            .read_span(span, context_lines_before, context_lines_after)?;
        Ok(Box::new(MietteSpanContents::new_named(
            self.name.to_string(),
            inner.data(),
            *inner.span(),
            inner.line(),
            inner.column(),
            inner.line_count(),
        )))
    }
}

struct FindingReport<'p> {
    code: String,
    message: String,
    severity: miette::Severity,
    help: Option<String>,
    source: FileSource<'p>,
    labels: Vec<LabeledSpan>,
    related: Vec<FindingReport<'p>>,
}

fn source_span(span: Span) -> SourceSpan {
    SourceSpan::new((span.start as usize).into(), span.len())
}

impl<'p> FindingReport<'p> {
    fn new(project: &'p Project, finding: &Finding) -> Self {
        let related = finding
            .related
            .iter()
            .map(|r| FindingReport::related(project, r.file, r.span, &r.message))
            .collect();
        FindingReport {
            code: format!("{} {}", finding.rule.code, finding.rule.name),
            message: finding.message.clone(),
            severity: match finding.severity {
                Severity::Error => miette::Severity::Error,
                Severity::Warning => miette::Severity::Warning,
                Severity::Info => miette::Severity::Advice,
            },
            help: finding.help.clone(),
            source: file_source(project, finding.file),
            labels: vec![LabeledSpan::new_primary_with_span(
                None,
                source_span(finding.span),
            )],
            related,
        }
    }

    fn related(project: &'p Project, file: FileId, span: Span, message: &str) -> Self {
        FindingReport {
            code: String::new(),
            message: message.to_string(),
            severity: miette::Severity::Advice,
            help: None,
            source: file_source(project, file),
            labels: vec![LabeledSpan::new_with_span(None, source_span(span))],
            related: Vec::new(),
        }
    }
}

fn file_source(project: &Project, file: FileId) -> FileSource<'_> {
    let source = project.file(file);
    FileSource {
        name: &source.path,
        text: &source.text,
    }
}

impl fmt::Debug for FindingReport<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl fmt::Display for FindingReport<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for FindingReport<'_> {}

impl Diagnostic for FindingReport<'_> {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        if self.code.is_empty() {
            None
        } else {
            Some(Box::new(&self.code))
        }
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(self.severity)
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        Some(&self.source)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        Some(Box::new(self.labels.iter().cloned()))
    }

    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn Diagnostic> + 'a>> {
        if self.related.is_empty() {
            None
        } else {
            Some(Box::new(self.related.iter().map(|r| r as &dyn Diagnostic)))
        }
    }
}
