//! Rules: the [`Rule`] trait, rule metadata and documentation, and the [`Finding`] they return.
//! Each rule lives in its own file and reads only the project index.

pub mod registry;

mod async_jobs_share_lock;
mod child_trigger_updates_parent;
mod dml_in_loop;
mod lock_error_unhandled;
mod lookup_locks_parent;
mod multiple_triggers;
mod parse_error;
mod queueable_without_finalizer;
mod read_then_insert;
mod unbounded_lock_retry;

use serde::{Deserialize, Serialize};

use crate::apex::Span;
use crate::index::{FileId, Project};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }

    pub fn parse(text: &str) -> Option<Severity> {
        match text.to_ascii_lowercase().as_str() {
            "info" => Some(Severity::Info),
            "warning" => Some(Severity::Warning),
            "error" => Some(Severity::Error),
            _ => None,
        }
    }
}

/// What every rule declares about itself; `docs` is its doc comment, in Markdown.
#[derive(Debug)]
pub struct RuleMeta {
    pub code: &'static str,
    pub name: &'static str,
    pub default_severity: Severity,
    pub since: &'static str,
    /// The doc comment as the macro sees it: one leading space on most lines.
    pub raw_docs: &'static str,
}

impl RuleMeta {
    /// The rule's documentation in Markdown.
    pub fn docs(&self) -> String {
        let mut out = String::with_capacity(self.raw_docs.len());
        for line in self.raw_docs.lines() {
            out.push_str(line.strip_prefix(' ').unwrap_or(line));
            out.push('\n');
        }
        out
    }

    /// The body of a `## Heading` section of the docs.
    pub fn section(&self, heading: &str) -> Option<String> {
        let docs = self.docs();
        let marker = format!("## {heading}\n");
        let start = docs.find(&marker)? + marker.len();
        let rest = &docs[start..];
        let end = rest.find("\n## ").map_or(rest.len(), |e| e + 1);
        Some(rest[..end].trim().to_string())
    }

    /// Does the rule read flows too (its docs have a "Flows:" paragraph under "What it does",
    /// or say so in "Why it matters")?
    pub fn sees_flows(&self) -> bool {
        ["What it does", "Why it matters"].iter().any(|heading| {
            self.section(heading)
                .is_some_and(|s| s.split("\n\n").any(|p| p.starts_with("Flows:")))
        })
    }

    /// One line for `lockgen rules` and the README: the first paragraph of "What it does"
    /// (the paragraphs after it refine the reading, for `lockgen explain`).
    pub fn summary(&self) -> String {
        let section = self.section("What it does").unwrap_or_default();
        section
            .split("\n\n")
            .next()
            .unwrap_or_default()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// A rule: metadata from `declare_rule!`, and a check over the whole project.
pub trait Rule: Sync {
    fn meta(&self) -> &'static RuleMeta;
    fn check(&self, project: &Project, findings: &mut Vec<Finding>);
}

/// A place in a file, with what it has to do with the finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Related {
    pub file: FileId,
    pub span: Span,
    pub message: String,
}

/// Related locations a finding carries at most; any beyond are summed up in one more, at the
/// first left out: "and N more". Applied to every rule's findings after it runs.
pub const MAX_RELATED: usize = 10;

/// The message of the related location that stands for `count` more.
pub fn and_more(count: usize) -> String {
    format!("and {count} more")
}

/// One finding: data, never printed by the rule itself.
#[derive(Debug, Clone)]
pub struct Finding {
    pub rule: &'static RuleMeta,
    pub severity: Severity,
    pub file: FileId,
    pub span: Span,
    pub message: String,
    pub help: Option<String>,
    /// The SObject the finding is about, as written.
    pub object: Option<String>,
    pub related: Vec<Related>,
    /// Set by the lint pipeline (not by rules): the hash behind the finding's fingerprint.
    pub fingerprint_base: u64,
}

impl Finding {
    pub fn new(rule: &'static RuleMeta, file: FileId, span: Span, message: String) -> Self {
        Finding {
            rule,
            severity: rule.default_severity,
            file,
            span,
            message,
            help: None,
            object: None,
            related: Vec::new(),
            fingerprint_base: 0,
        }
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn with_object(mut self, object: impl Into<String>) -> Self {
        self.object = Some(object.into());
        self
    }

    /// Keep the first [`MAX_RELATED`] related locations and one "and N more" for the rest.
    pub fn cap_related(&mut self) {
        if self.related.len() <= MAX_RELATED + 1 {
            return;
        }
        let more = self.related.len() - MAX_RELATED;
        self.related.truncate(MAX_RELATED + 1);
        if let Some(last) = self.related.last_mut() {
            last.message = and_more(more);
        }
    }

    pub fn with_related(mut self, file: FileId, span: Span, message: impl Into<String>) -> Self {
        self.related.push(Related {
            file,
            span,
            message: message.into(),
        });
        self
    }
}

/// Declare a rule: a unit struct carrying its [`RuleMeta`], docs taken from the doc comment.
macro_rules! declare_rule {
    (
        $(#[doc = $doc:literal])*
        pub $rule:ident {
            code: $code:literal,
            name: $name:literal,
            default_severity: $severity:ident,
            since: $since:literal $(,)?
        }
    ) => {
        $(#[doc = $doc])*
        pub struct $rule;

        impl $rule {
            pub const META: $crate::rules::RuleMeta = $crate::rules::RuleMeta {
                code: $code,
                name: $name,
                default_severity: $crate::rules::Severity::$severity,
                since: $since,
                raw_docs: concat!($($doc, "\n"),*),
            };
        }
    };
}
pub(crate) use declare_rule;
