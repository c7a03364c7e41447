//! The one module that touches tree-sitter: parse Apex text with lockgen's Apex grammar
//! (tree-sitter-sfapex 3.0.1, vendored in `grammars/apex/`) and lower the tree into the owned
//! [`ApexFile`] model.

#[cfg(test)]
pub(crate) mod equivalence;
mod lower;

use std::cell::RefCell;
use std::sync::OnceLock;

use tree_sitter::{Language, Node, Parser, Query, QueryCursor, StreamingIterator, Tree};

use super::kinds::{FIELDS, Field, KINDS, Kind};
use super::model::{ApexFile, ApexFileKind, Comment, ParseProblem};
use super::span::Span;

const ERRORS_QUERY: &str = include_str!("../../../grammars/errors.scm");
const COMMENTS_QUERY: &str = include_str!("../../../grammars/comments.scm");

/// Apex classes are capped at 1,000,000 characters by the platform; anything far larger is not
/// source a team can deploy, and parsing it would only cost time and memory.
pub(crate) const MAX_SOURCE_BYTES: usize = 8 * 1024 * 1024;

/// The grammar, its kind/field tables and compiled queries, built once per process. The
/// queries are compiled when first needed (a file with a syntax error, a `lockgen:` comment):
/// most runs re-parse a file or two, and compiling both costs more than parsing one.
pub(crate) struct Grammar {
    language: Language,
    kinds: Vec<Option<Kind>>,
    fields: Vec<std::num::NonZeroU16>,
    errors: OnceLock<Result<Query, GrammarError>>,
    comments: OnceLock<Result<Query, GrammarError>>,
}

/// The grammar failed to load or a bundled query failed to compile: a build defect, never input.
#[derive(Debug, Clone, thiserror::Error)]
#[error("the bundled Apex grammar failed to load: {0}")]
pub struct GrammarError(String);

static GRAMMAR: OnceLock<Result<Grammar, GrammarError>> = OnceLock::new();

impl Grammar {
    pub(crate) fn get() -> Result<&'static Grammar, GrammarError> {
        GRAMMAR
            .get_or_init(Grammar::load)
            .as_ref()
            .map_err(Clone::clone)
    }

    fn load() -> Result<Grammar, GrammarError> {
        let language: Language = lockgen_apex_grammar::LANGUAGE.into();
        let mut kinds = vec![None; language.node_kind_count()];
        for id in 0..language.node_kind_count() as u16 {
            let Some(name) = language.node_kind_for_id(id) else {
                continue;
            };
            if !language.node_kind_is_named(id) && name != "ERROR" {
                continue;
            }
            if let Some((kind, _)) = KINDS.iter().find(|(_, n)| *n == name) {
                kinds[usize::from(id)] = Some(*kind);
            }
        }
        let mut fields = Vec::with_capacity(FIELDS.len());
        for (_, name) in FIELDS {
            let id = language
                .field_id_for_name(name)
                .ok_or_else(|| GrammarError(format!("unknown field `{name}`")))?;
            fields.push(id);
        }
        Ok(Grammar {
            language,
            kinds,
            fields,
            errors: OnceLock::new(),
            comments: OnceLock::new(),
        })
    }

    fn errors(&self) -> Result<&Query, GrammarError> {
        self.errors
            .get_or_init(|| query(&self.language, ERRORS_QUERY, "grammars/errors.scm"))
            .as_ref()
            .map_err(Clone::clone)
    }

    fn comments(&self) -> Result<&Query, GrammarError> {
        self.comments
            .get_or_init(|| query(&self.language, COMMENTS_QUERY, "grammars/comments.scm"))
            .as_ref()
            .map_err(Clone::clone)
    }

    pub(crate) fn kind(&self, node: Node<'_>) -> Option<Kind> {
        if node.is_error() {
            return Some(Kind::Error);
        }
        self.kinds
            .get(usize::from(node.kind_id()))
            .copied()
            .flatten()
    }

    pub(crate) fn field<'t>(&self, node: Node<'t>, field: Field) -> Option<Node<'t>> {
        node.child_by_field_id(self.fields[field as usize].get())
    }

    pub(crate) fn fields<'t>(&self, node: Node<'t>, field: Field) -> Vec<Node<'t>> {
        let mut cursor = node.walk();
        node.children_by_field_id(self.fields[field as usize], &mut cursor)
            .collect()
    }
}

fn query(language: &Language, source: &str, path: &str) -> Result<Query, GrammarError> {
    Query::new(language, source).map_err(|e| GrammarError(format!("{path}: {e}")))
}

thread_local! {
    static PARSER: RefCell<Option<Parser>> = const { RefCell::new(None) };
}

fn parse_tree(grammar: &Grammar, text: &str) -> Result<Option<Tree>, GrammarError> {
    PARSER.with(|cell| {
        let mut slot = cell.borrow_mut();
        if slot.is_none() {
            let mut parser = Parser::new();
            parser
                .set_language(&grammar.language)
                .map_err(|e| GrammarError(e.to_string()))?;
            *slot = Some(parser);
        }
        Ok(slot.as_mut().and_then(|parser| parser.parse(text, None)))
    })
}

/// Parse one Apex class or trigger. Syntax errors become [`ParseProblem`]s; the model holds
/// whatever the grammar could still read.
pub fn parse_apex(text: &str, kind: ApexFileKind) -> Result<ApexFile, GrammarError> {
    let grammar = Grammar::get()?;
    if text.len() > MAX_SOURCE_BYTES {
        return Ok(ApexFile {
            problems: vec![ParseProblem {
                span: Span::new(0, 0),
                message: format!(
                    "file is {} MB, far larger than an Apex class can be (1,000,000 characters); not analysed",
                    text.len() / (1024 * 1024)
                ),
            }],
            ..ApexFile::default()
        });
    }
    let Some(mut tree) = parse_tree(grammar, text)? else {
        return Ok(ApexFile {
            problems: vec![ParseProblem {
                span: Span::new(0, 0),
                message: "the parser gave up on this file".to_string(),
            }],
            ..ApexFile::default()
        });
    };
    if tree.root_node().has_error()
        && let Some(masked) = mask_statement_trigger_keyword(text)
        && let Some(retry) = parse_tree(grammar, &masked)?
        && !retry.root_node().has_error()
    {
        tree = retry;
    }
    let root = tree.root_node();
    let mut file = lower::lower_file(grammar, text, root, kind);
    if root.has_error()
        && let Some(problem) = first_syntax_error(grammar.errors()?, text, root)
    {
        file.problems.insert(0, problem);
    }
    if text.contains("lockgen:") {
        file.directive_comments = directive_comments(grammar.comments()?, text, root);
    }
    file.problems.sort_by_key(|p| p.span);
    Ok(file)
}

/// tree-sitter-sfapex reads `trigger` at the start of a statement as the `trigger X on Y`
/// keyword, so `Trigger.new[0].addError(…);` fails to parse. Replacing such statement-initial
/// `Trigger` words with an identifier of the same length keeps every byte offset, and the
/// lowering reads names from the original text, so the model still says `Trigger`.
fn mask_statement_trigger_keyword(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut masked: Option<Vec<u8>> = None;
    let mut from = 0;
    while let Some(found) = find_ascii_ci(&bytes[from..], b"trigger") {
        let start = from + found;
        let end = start + "trigger".len();
        from = end;
        let before_is_boundary = text[..start]
            .trim_end()
            .as_bytes()
            .last()
            .is_some_and(|b| matches!(b, b';' | b'{' | b'}' | b')'));
        let after_is_dot = text[end..].trim_start().starts_with('.');
        if before_is_boundary && after_is_dot {
            let out = masked.get_or_insert_with(|| bytes.to_vec());
            // `Trigge_` is an identifier, not a keyword, of the same length.
            out[end - 1] = b'_';
        }
    }
    masked.and_then(|bytes| String::from_utf8(bytes).ok())
}

fn find_ascii_ci(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window.eq_ignore_ascii_case(needle))
}

fn first_syntax_error(errors: &Query, text: &str, root: Node<'_>) -> Option<ParseProblem> {
    let mut cursor = QueryCursor::new();
    let mut matches = cursor.matches(errors, root, text.as_bytes());
    let mut first: Option<Node<'_>> = None;
    let mut count = 0usize;
    while let Some(found) = matches.next() {
        for capture in found.captures {
            count += 1;
            let node = capture.node;
            if first.is_none_or(|f| node.start_byte() < f.start_byte()) {
                first = Some(node);
            }
        }
    }
    let node = first?;
    let span = Span::new(node.start_byte(), node.end_byte());
    let mut message = if node.is_missing() {
        format!("syntax error: missing `{}`", node.kind())
    } else {
        let snippet: String = text[node.start_byte()..node.end_byte()]
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .chars()
            .take(40)
            .collect();
        if snippet.is_empty() {
            "syntax error".to_string()
        } else {
            format!("syntax error at `{snippet}`")
        }
    };
    if count > 1 {
        message.push_str(&format!(" ({} more after it)", count - 1));
    }
    Some(ParseProblem { span, message })
}

fn directive_comments(comments: &Query, text: &str, root: Node<'_>) -> Vec<Comment> {
    let mut cursor = QueryCursor::new();
    let mut captures = cursor.captures(comments, root, text.as_bytes());
    let mut comments = Vec::new();
    while let Some((found, index)) = captures.next() {
        let node = found.captures[*index].node;
        let body = &text[node.start_byte()..node.end_byte()];
        if body.contains("lockgen:") {
            comments.push(Comment {
                text: body.to_string(),
                span: Span::new(node.start_byte(), node.end_byte()),
            });
        }
    }
    comments.sort_by_key(|c| c.span);
    comments.dedup_by_key(|c| c.span);
    comments
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_and_field_exists_in_the_pinned_grammar() {
        let language: Language = lockgen_apex_grammar::LANGUAGE.into();
        for (_, name) in KINDS {
            if *name == "ERROR" {
                continue;
            }
            assert_ne!(
                language.id_for_node_kind(name, true),
                0,
                "node kind `{name}` is not in the Apex grammar"
            );
        }
        for (_, name) in FIELDS {
            assert!(
                language.field_id_for_name(name).is_some(),
                "field `{name}` is not in the Apex grammar"
            );
        }
        for (field, name) in FIELDS {
            assert_eq!(
                FIELDS[*field as usize].1, *name,
                "Field discriminants follow FIELDS"
            );
        }
    }

    #[test]
    fn bundled_queries_compile() {
        let grammar = Grammar::get().expect("grammar loads");
        assert_eq!(
            grammar.errors().expect("compiles").capture_names(),
            ["error", "missing"]
        );
        assert_eq!(
            grammar.comments().expect("compiles").capture_names(),
            ["comment"]
        );
    }

    /// The grammar reads `before insert` and `with sharing` as one token per word: the model
    /// still holds one keyword per event or modifier, in lower case, single-spaced.
    #[test]
    fn multi_word_keywords_lower_to_one_keyword() {
        let trigger = parse_apex(
            "trigger T on Account (BEFORE   insert, after\n\tUpdate, before /* odd */ delete,\n after undelete) {\n}",
            ApexFileKind::Trigger,
        )
        .expect("grammar");
        assert!(trigger.problems.is_empty(), "{:?}", trigger.problems);
        let events = &trigger.trigger.as_ref().expect("a trigger").events;
        assert_eq!(
            events,
            &[
                "before insert",
                "after update",
                "before delete",
                "after undelete"
            ]
        );
        for (source, keyword) in [
            ("public WITH  SHARING class A { }", "with sharing"),
            ("public without\n sharing class A { }", "without sharing"),
            (
                "public inherited /* x */ sharing class A { }",
                "inherited sharing",
            ),
            ("public static virtual class A { }", "static"),
        ] {
            let class = parse_apex(source, ApexFileKind::Class).expect("grammar");
            assert!(class.problems.is_empty(), "{source}: {:?}", class.problems);
            let keywords = &class.types[0].modifiers.keywords;
            assert!(
                keywords.iter().any(|k| k == keyword),
                "{source}: {keywords:?}"
            );
        }
    }

    #[test]
    fn statement_initial_trigger_word_is_masked_only_there() {
        let text = "trigger T on Account (before insert) {\n  Trigger.new[0].addError('x');\n}";
        let masked = mask_statement_trigger_keyword(text).expect("masked");
        assert!(masked.starts_with("trigger T on Account"));
        assert!(masked.contains("Trigge_.new[0]"));
        assert_eq!(masked.len(), text.len());
    }
}
