//! Hover (a finding's rule, as `lockgen explain` prints it) and code actions (suppress the
//! finding on its line; open the rule's documentation).

use std::collections::HashMap;
use std::path::PathBuf;

use lsp_types::{
    CodeAction, CodeActionKind, CodeActionOrCommand, Command, Diagnostic, Hover, HoverContents,
    MarkupContent, MarkupKind, NumberOrString, Position, Range, TextEdit, Url, WorkspaceEdit,
};

use super::convert;
use super::documents;

/// The command that opens a rule's documentation; its one argument is the rule code.
pub const SHOW_RULE_DOCS: &str = "lockgen.showRuleDocs";

/// The rule code of a lockgen diagnostic.
pub fn rule_code(diagnostic: &Diagnostic) -> Option<&str> {
    if diagnostic.source.as_deref() != Some("lockgen") {
        return None;
    }
    match &diagnostic.code {
        Some(NumberOrString::String(code)) => Some(code.as_str()),
        _ => None,
    }
}

fn contains(range: &Range, at: Position) -> bool {
    range.start <= at && at <= range.end
}

fn overlaps(a: &Range, b: &Range) -> bool {
    a.start <= b.end && b.start <= a.end
}

/// A rule's documentation, exactly as `lockgen explain` prints it.
pub fn explain(code: &str) -> Option<String> {
    let mut out = Vec::new();
    crate::docs::explain(code, &mut out).ok()?;
    String::from_utf8(out).ok()
}

/// The findings under the cursor, each with its fix, then each rule's documentation.
pub fn hover(diagnostics: &[Diagnostic], at: Position) -> Option<Hover> {
    let here: Vec<&Diagnostic> = diagnostics
        .iter()
        .filter(|d| rule_code(d).is_some() && contains(&d.range, at))
        .collect();
    let first = here.first()?;
    let mut parts = Vec::new();
    let mut documented: Vec<&str> = Vec::new();
    for diagnostic in &here {
        let code = rule_code(diagnostic).unwrap_or_default();
        let data = diagnostic.data.as_ref();
        let name = data
            .and_then(|d| d.get("name"))
            .and_then(|n| n.as_str())
            .unwrap_or_default();
        let mut text = format!("**{code}** `{name}`: {}", diagnostic.message);
        if let Some(help) = data.and_then(|d| d.get("help")).and_then(|h| h.as_str()) {
            text.push_str(&format!("\n\n**Fix:** {help}"));
        }
        parts.push(text);
        if !documented.contains(&code) {
            documented.push(code);
        }
    }
    for code in documented {
        if let Some(docs) = explain(code) {
            parts.push(docs);
        }
    }
    Some(Hover {
        contents: HoverContents::Markup(MarkupContent {
            kind: MarkupKind::Markdown,
            value: parts.join("\n\n---\n\n"),
        }),
        range: Some(first.range),
    })
}

/// For each lockgen finding in `range`: a `lockgen:ignore` comment on the line before it, and
/// the rule's documentation. `text` is the document as the editor has it.
pub fn code_actions(
    uri: &Url,
    path: &str,
    text: &str,
    diagnostics: &[Diagnostic],
    range: Range,
) -> Vec<CodeActionOrCommand> {
    let mut actions = Vec::new();
    let mut documented: Vec<String> = Vec::new();
    for diagnostic in diagnostics {
        let Some(code) = rule_code(diagnostic) else {
            continue;
        };
        if !overlaps(&diagnostic.range, &range) {
            continue;
        }
        let line = diagnostic.range.start.line;
        let indent = convert::indentation(text, line);
        let edit = TextEdit {
            range: Range::new(Position::new(line, 0), Position::new(line, 0)),
            new_text: documents::ignore_comment(path, code, indent),
        };
        actions.push(CodeActionOrCommand::CodeAction(CodeAction {
            title: format!("Ignore {code} on this line (lockgen:ignore, with a reason)"),
            kind: Some(CodeActionKind::QUICKFIX),
            diagnostics: Some(vec![diagnostic.clone()]),
            edit: Some(WorkspaceEdit {
                changes: Some(HashMap::from([(uri.clone(), vec![edit])])),
                ..WorkspaceEdit::default()
            }),
            ..CodeAction::default()
        }));
        if !documented.iter().any(|c| c == code) {
            documented.push(code.to_string());
            actions.push(CodeActionOrCommand::CodeAction(CodeAction {
                title: format!("Show the documentation of {code} (lockgen explain)"),
                kind: Some(CodeActionKind::QUICKFIX),
                diagnostics: Some(vec![diagnostic.clone()]),
                command: Some(Command {
                    title: format!("lockgen explain {code}"),
                    command: SHOW_RULE_DOCS.to_string(),
                    arguments: Some(vec![serde_json::Value::String(code.to_string())]),
                }),
                ..CodeAction::default()
            }));
        }
    }
    actions
}

/// Write a rule's documentation to a Markdown file in the user's cache folder (never in the
/// project), for the editor to open; its path.
pub fn docs_file(code: &str) -> Option<PathBuf> {
    let docs = explain(code)?;
    let meta = crate::rules::registry::find(code)?.meta();
    let folder = crate::cache::user_cache_dir()
        .unwrap_or_else(|| std::env::temp_dir().join("lockgen"))
        .join("docs")
        .join(env!("CARGO_PKG_VERSION"));
    std::fs::create_dir_all(&folder).ok()?;
    let path = folder.join(format!("{}.md", meta.code));
    if std::fs::read_to_string(&path).ok().as_deref() != Some(docs.as_str()) {
        let temp = folder.join(format!(".{}.{}.tmp", meta.code, std::process::id()));
        std::fs::write(&temp, docs.as_bytes()).ok()?;
        std::fs::rename(&temp, &path).ok()?;
    }
    Some(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(line: u32) -> Diagnostic {
        Diagnostic {
            range: Range::new(Position::new(line, 8), Position::new(line, 20)),
            code: Some(NumberOrString::String("LCK007".to_string())),
            source: Some("lockgen".to_string()),
            message: "`update` inside a loop".to_string(),
            data: Some(
                serde_json::json!({"name": "dml-in-loop", "help": "collect, then write once"}),
            ),
            ..Diagnostic::default()
        }
    }

    #[test]
    fn hover_shows_the_finding_and_the_rule_docs() {
        let hover = hover(&[finding(2)], Position::new(2, 10)).unwrap();
        let HoverContents::Markup(markup) = hover.contents else {
            panic!("markdown expected");
        };
        assert!(markup.value.contains("**LCK007** `dml-in-loop`"));
        assert!(markup.value.contains("**Fix:** collect, then write once"));
        assert!(markup.value.contains("# LCK007 dml-in-loop"));
        assert!(super::hover(&[finding(2)], Position::new(3, 0)).is_none());
    }

    #[test]
    fn code_actions_insert_an_ignore_comment_with_the_indentation() {
        let uri = Url::parse("file:///p/classes/A.cls").unwrap();
        let text = "class A {\n  void m() {\n        update x;\n  }\n}\n";
        let actions = code_actions(
            &uri,
            "/p/classes/A.cls",
            text,
            &[finding(2)],
            Range::new(Position::new(2, 9), Position::new(2, 9)),
        );
        assert_eq!(actions.len(), 2);
        let CodeActionOrCommand::CodeAction(ignore) = &actions[0] else {
            panic!("a code action expected");
        };
        let edits = &ignore.edit.as_ref().unwrap().changes.as_ref().unwrap()[&uri];
        assert_eq!(
            edits[0].new_text,
            "        // lockgen:ignore LCK007 <reason>\n"
        );
        assert_eq!(edits[0].range.start, Position::new(2, 0));
        let CodeActionOrCommand::CodeAction(docs) = &actions[1] else {
            panic!("a code action expected");
        };
        assert_eq!(docs.command.as_ref().unwrap().command, SHOW_RULE_DOCS);
    }
}
