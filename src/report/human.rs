//! The terminal format: one miette report per finding (code, message, the source snippet with
//! the span underlined, related places, help), then a one-line summary.

use std::fmt;
use std::io::{self, Write};

use miette::{
    Diagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteError,
    MietteSpanContents, SourceCode, SourceSpan, SpanContents,
};

use super::Summary;
use super::escape::{self, visible};
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
                visible(&project.location(finding.file, finding.span.start)),
                finding.rule.code,
                visible(&finding.message)
            );
        }
        out.write_all(text.as_bytes())?;
        writeln!(out)?;
    }
    writeln!(out, "{}", summary_line(summary))
}

pub fn summary_line(summary: &Summary) -> String {
    let mut files = plural(summary.files, "file");
    if summary.skipped_test_classes > 0 {
        let skipped = match summary.skipped_test_classes {
            1 => "1 test class".to_string(),
            n => format!("{n} test classes"),
        };
        files.push_str(&format!(" ({skipped} skipped)"));
    }
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

/// Source lines are shown up to this many bytes; a longer line is cut around the span, so a
/// finding at column 100,000 renders (and costs) like one at column 10.
const MAX_LINE_BYTES: usize = 160;
/// How much of a cut line is kept before the span.
const KEEP_BEFORE: usize = 48;

/// The lines around a span as they are shown: one line of context on either side, long lines
/// cut with `…`, unsafe characters made visible, line breaks normalised to `\n`. Offsets into
/// it are not offsets into the file, so it carries where it starts in the file.
struct Excerpt {
    /// The file's path, escaped.
    name: String,
    text: String,
    /// 0-based line of the file where `text` starts.
    first_line: usize,
    /// The span, in `text`.
    span: Span,
    /// 0-based line and byte column of the span's start in the file (what miette shows in the
    /// header).
    origin: (usize, usize),
}

impl Excerpt {
    fn new(project: &Project, file: FileId, span: Span) -> Excerpt {
        let source = project.file(file);
        let text = source.text.as_str();
        let lines = &source.lines;
        let start = (span.start as usize).min(text.len());
        let end = (span.end as usize).clamp(start, text.len());
        let start_line = lines.line_of(start as u32);
        let end_line = lines.line_of(end.saturating_sub(1).max(start) as u32);
        let first = start_line.saturating_sub(1).max(1);
        let last = (end_line + 1).min(lines.line_count());
        let line_start = lines
            .line_span(text, start_line)
            .map_or(0, |s| s.start as usize);
        let mut excerpt = Excerpt {
            name: visible(&source.path).into_owned(),
            text: String::new(),
            first_line: first - 1,
            span: Span::default(),
            origin: (start_line - 1, start - line_start),
        };
        let (mut new_start, mut new_end) = (None, None);
        for number in first..=last {
            let Some(line) = lines.line_span(text, number) else {
                break;
            };
            if number > first {
                excerpt.text.push('\n');
            }
            let (from, to) = (line.start as usize, line.end as usize);
            // Where the window of a long line goes: around the span's start or end, if here.
            let focus = if (from..=to).contains(&start) {
                start
            } else if (from..=to).contains(&end) {
                end
            } else {
                from
            };
            let mut cut_from = from;
            if to - from > MAX_LINE_BYTES {
                cut_from = floor_boundary(text, focus.saturating_sub(KEEP_BEFORE).max(from));
            }
            let cut_to = if to - cut_from > MAX_LINE_BYTES {
                floor_boundary(text, cut_from + MAX_LINE_BYTES)
            } else {
                to
            };
            if cut_from > from {
                excerpt.text.push('…');
            }
            for (offset, c) in text[cut_from..cut_to].char_indices() {
                let at = cut_from + offset;
                if new_start.is_none() && at >= start && number >= start_line {
                    new_start = Some(excerpt.text.len());
                }
                if new_end.is_none() && at >= end && number >= start_line {
                    new_end = Some(excerpt.text.len());
                }
                escape::snippet_char(&mut excerpt.text, c);
            }
            // A span that starts or ends past the window (or on the line break) maps to its edge.
            if number == start_line && new_start.is_none() {
                new_start = Some(excerpt.text.len());
            }
            if number == end_line && new_end.is_none() {
                new_end = Some(excerpt.text.len());
            }
            if cut_to < to {
                excerpt.text.push('…');
            }
        }
        let new_start = new_start.unwrap_or(excerpt.text.len());
        let new_end = new_end.unwrap_or(excerpt.text.len()).max(new_start);
        excerpt.span = Span::new(new_start, new_end);
        excerpt
    }
}

fn floor_boundary(text: &str, mut at: usize) -> usize {
    at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

impl SourceCode for Excerpt {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let inner = self
            .text
            .read_span(span, context_lines_before, context_lines_after)?;
        // The header names the span's place in the file, not in the excerpt.
        let (line, column) =
            if span.offset() == self.span.start as usize && context_lines_before == 0 {
                self.origin
            } else {
                (self.first_line + inner.line(), inner.column())
            };
        Ok(Box::new(MietteSpanContents::new_named(
            self.name.clone(),
            inner.data(),
            *inner.span(),
            line,
            column,
            inner.line_count(),
        )))
    }
}

struct FindingReport {
    code: String,
    message: String,
    severity: miette::Severity,
    help: Option<String>,
    source: Excerpt,
    labels: Vec<LabeledSpan>,
    related: Vec<FindingReport>,
}

fn source_span(span: Span) -> SourceSpan {
    SourceSpan::new((span.start as usize).into(), span.len())
}

impl FindingReport {
    fn new(project: &Project, finding: &Finding) -> Self {
        let related = finding
            .related
            .iter()
            .map(|r| FindingReport::related(project, r.file, r.span, &r.message))
            .collect();
        let source = Excerpt::new(project, finding.file, finding.span);
        FindingReport {
            code: format!("{} {}", finding.rule.code, finding.rule.name),
            message: visible(&finding.message).into_owned(),
            severity: match finding.severity {
                Severity::Error => miette::Severity::Error,
                Severity::Warning => miette::Severity::Warning,
                Severity::Info => miette::Severity::Advice,
            },
            help: finding.help.as_deref().map(|h| visible(h).into_owned()),
            labels: vec![LabeledSpan::new_primary_with_span(
                None,
                source_span(source.span),
            )],
            source,
            related,
        }
    }

    fn related(project: &Project, file: FileId, span: Span, message: &str) -> Self {
        let source = Excerpt::new(project, file, span);
        FindingReport {
            code: String::new(),
            message: visible(message).into_owned(),
            severity: miette::Severity::Advice,
            help: None,
            labels: vec![LabeledSpan::new_with_span(None, source_span(source.span))],
            source,
            related: Vec::new(),
        }
    }
}

impl fmt::Debug for FindingReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl fmt::Display for FindingReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for FindingReport {}

impl Diagnostic for FindingReport {
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
