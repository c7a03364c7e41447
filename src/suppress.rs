//! Inline suppressions: `// lockgen:ignore LCK004 reason` on the line before a finding or at
//! the end of its line (`<!-- lockgen:ignore LCK003 reason -->` in metadata XML), and
//! `@SuppressWarnings('lockgen:LCK008')` on a class or method.

use serde::{Deserialize, Serialize};

use crate::apex::Span;
use crate::apex::model::Modifiers;
use crate::index::{FileId, Project};
use crate::rules::{Finding, registry};

/// What a suppression covers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Scope {
    /// A 1-based line.
    Line(usize),
    /// A class or method.
    Range(Span),
}

#[derive(Debug, Clone)]
pub struct Suppression {
    pub file: FileId,
    /// The comment or annotation itself.
    pub span: Span,
    pub codes: Vec<&'static str>,
    pub scope: Scope,
    pub used: bool,
}

/// A directive naming a rule lockgen does not have.
#[derive(Debug, Clone)]
pub struct UnknownCode {
    pub file: FileId,
    pub span: Span,
    pub given: String,
}

#[derive(Debug, Default)]
pub struct Suppressions {
    pub entries: Vec<Suppression>,
    pub unknown: Vec<UnknownCode>,
}

const DIRECTIVE: &str = "lockgen:ignore";

impl Suppressions {
    pub fn collect(project: &Project) -> Suppressions {
        let mut found = Suppressions::default();
        for unit in &project.apex {
            let source = project.file(unit.file);
            for comment in &unit.model.directive_comments {
                found.directive(
                    project,
                    unit.file,
                    comment.span,
                    &comment.text,
                    &source.text,
                );
            }
            for ty in &unit.model.types {
                found.annotation(unit.file, &ty.modifiers, ty.span);
                for method in &ty.methods {
                    found.annotation(unit.file, &method.modifiers, method.span);
                }
            }
        }
        for (index, source) in project.files.iter().enumerate() {
            if !source.path.to_ascii_lowercase().ends_with(".xml")
                || !source.text.contains(DIRECTIVE)
            {
                continue;
            }
            let file = FileId(index as u32);
            let mut from = 0;
            while let Some(at) = source.text[from..].find("<!--") {
                let start = from + at;
                let end = source.text[start..]
                    .find("-->")
                    .map_or(source.text.len(), |e| start + e + 3);
                let text = &source.text[start..end];
                if text.contains(DIRECTIVE) {
                    found.directive(project, file, Span::new(start, end), text, &source.text);
                }
                from = end;
            }
        }
        found
    }

    fn directive(
        &mut self,
        project: &Project,
        file: FileId,
        span: Span,
        comment: &str,
        text: &str,
    ) {
        let Some(at) = comment.find(DIRECTIVE) else {
            return;
        };
        let rest = &comment[at + DIRECTIVE.len()..];
        // Codes come first, separated by commas and/or spaces; the reason follows.
        let mut codes = Vec::new();
        for word in rest.split(|c: char| c.is_whitespace() || c == ',') {
            let word = word.trim_end_matches("-->").trim_end_matches("*/");
            if word.is_empty() {
                continue;
            }
            let looks_like_code = word.len() == 6 && word[..3].eq_ignore_ascii_case("lck");
            match registry::find(word) {
                Some(rule) => codes.push(rule.meta().code),
                None if looks_like_code => self.unknown.push(UnknownCode {
                    file,
                    span,
                    given: word.to_string(),
                }),
                None => break,
            }
        }
        if codes.is_empty() {
            return;
        }
        let source = project.file(file);
        let line = source.line_column(span.start).line;
        let line_text = source
            .lines
            .line_span(text, line)
            .map_or("", |s| &text[s.start as usize..s.end as usize]);
        let before = &line_text[..line_text
            .len()
            .min(source.line_column(span.start).column - 1)];
        let scope = if before.trim().is_empty() {
            // On a line of its own: it covers the next line of code.
            let end_line = source.line_column(span.end.saturating_sub(1)).line;
            Scope::Line(next_code_line(source, text, end_line))
        } else {
            Scope::Line(line)
        };
        self.entries.push(Suppression {
            file,
            span,
            codes,
            scope,
            used: false,
        });
    }

    fn annotation(&mut self, file: FileId, modifiers: &Modifiers, scope: Span) {
        for annotation in &modifiers.annotations {
            if !annotation.name.is("SuppressWarnings") {
                continue;
            }
            let codes: Vec<&'static str> = annotation
                .arguments
                .split(|c: char| c == ',' || c == '\'' || c.is_whitespace())
                .filter_map(|part| {
                    let code = part.strip_prefix("lockgen:")?;
                    match registry::find(code) {
                        Some(rule) => Some(rule.meta().code),
                        None => {
                            self.unknown.push(UnknownCode {
                                file,
                                span: annotation.span,
                                given: code.to_string(),
                            });
                            None
                        }
                    }
                })
                .collect();
            if !codes.is_empty() {
                self.entries.push(Suppression {
                    file,
                    span: annotation.span,
                    codes,
                    scope: Scope::Range(scope),
                    used: false,
                });
            }
        }
    }

    /// Drop suppressed findings, marking the suppressions that did it.
    pub fn apply(&mut self, project: &Project, findings: &mut Vec<Finding>) {
        findings.retain(|finding| {
            let line = project
                .file(finding.file)
                .line_column(finding.span.start)
                .line;
            let mut suppressed = false;
            for entry in &mut self.entries {
                if entry.file != finding.file || !entry.codes.contains(&finding.rule.code) {
                    continue;
                }
                let covers = match entry.scope {
                    Scope::Line(l) => l == line,
                    Scope::Range(span) => {
                        span.start <= finding.span.start && finding.span.start < span.end
                    }
                };
                if covers {
                    entry.used = true;
                    suppressed = true;
                }
            }
            !suppressed
        });
    }

    pub fn unused(&self) -> impl Iterator<Item = &Suppression> {
        self.entries.iter().filter(|e| !e.used)
    }
}

/// The first line after `line` that holds code: not blank, not only a comment.
fn next_code_line(source: &crate::index::SourceFile, text: &str, line: usize) -> usize {
    let mut next = line + 1;
    while next <= source.lines.line_count() {
        let Some(span) = source.lines.line_span(text, next) else {
            break;
        };
        let trimmed = text[span.start as usize..span.end as usize].trim();
        let comment_only = trimmed.is_empty()
            || trimmed.starts_with("//")
            || trimmed.starts_with("/*")
            || trimmed.starts_with('*')
            || trimmed.starts_with("<!--");
        if !comment_only {
            return next;
        }
        next += 1;
    }
    line + 1
}

/// Suppressions as data, by path instead of file id: what a run keeps between runs, so that a
/// warm run applies them without parsing anything.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct SavedSuppressions {
    entries: Vec<SavedSuppression>,
    /// `(path, span, given)` of directives naming unknown rules.
    unknown: Vec<(String, Span, String)>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct SavedSuppression {
    path: String,
    span: Span,
    codes: Vec<String>,
    scope: Scope,
}

impl Suppressions {
    pub fn save(&self, project: &Project) -> SavedSuppressions {
        SavedSuppressions {
            entries: self
                .entries
                .iter()
                .map(|e| SavedSuppression {
                    path: project.path(e.file).to_string(),
                    span: e.span,
                    codes: e.codes.iter().map(|c| (*c).to_string()).collect(),
                    scope: e.scope.clone(),
                })
                .collect(),
            unknown: self
                .unknown
                .iter()
                .map(|u| (project.path(u.file).to_string(), u.span, u.given.clone()))
                .collect(),
        }
    }

    /// Back from data; entries for files no longer in the project are dropped.
    pub fn restore(
        saved: &SavedSuppressions,
        files: &std::collections::HashMap<&str, FileId>,
    ) -> Suppressions {
        let entries = saved
            .entries
            .iter()
            .filter_map(|e| {
                Some(Suppression {
                    file: *files.get(e.path.as_str())?,
                    span: e.span,
                    codes: e
                        .codes
                        .iter()
                        .filter_map(|c| registry::find(c).map(|r| r.meta().code))
                        .collect(),
                    scope: e.scope.clone(),
                    used: false,
                })
            })
            .collect();
        let unknown = saved
            .unknown
            .iter()
            .filter_map(|(path, span, given)| {
                Some(UnknownCode {
                    file: *files.get(path.as_str())?,
                    span: *span,
                    given: given.clone(),
                })
            })
            .collect();
        Suppressions { entries, unknown }
    }
}
