//! Escaping for where text goes. File names, messages and source text come from the repository,
//! so none of it may move a terminal's cursor, reorder what a reader sees, start a workflow
//! command in a GitHub Actions log, or break an XML document.

use std::borrow::Cow;
use std::fmt::Write as _;

/// Where lockgen's stderr lines end up, by the output format of the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sink {
    /// A terminal or a plain log: control and bidi characters are made visible.
    Terminal,
    /// A GitHub Actions log, which runs any line that starts with `::`: workflow-command data
    /// escaping as well.
    GithubLog,
}

impl Sink {
    /// One line of text, safe for this sink (it never contains a line break).
    pub fn line<'a>(self, text: &'a str) -> Cow<'a, str> {
        match self {
            Sink::Terminal => visible(text),
            Sink::GithubLog => Cow::Owned(workflow_data(text)),
        }
    }
}

/// Characters that change how text is shown rather than being shown: C0 and C1 controls,
/// DEL, bidirectional-text controls, and the Unicode line and paragraph separators.
pub fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061c}'
                | '\u{200e}'
                | '\u{200f}'
                | '\u{202a}'..='\u{202e}'
                | '\u{2066}'..='\u{2069}'
                | '\u{2028}'
                | '\u{2029}'
        )
}

fn push_visible(out: &mut String, c: char) {
    match c {
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        c => {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        }
    }
}

/// Every unsafe character (line breaks and tabs included) written as a Rust-style escape:
/// `\n`, `\u{1b}`, `\u{202e}`. For names and messages on one line.
pub fn visible(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_unsafe) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if is_unsafe(c) {
            push_visible(&mut out, c);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// A source line for a snippet: like [`visible`], but a tab stays a tab (the renderer expands
/// it).
pub fn snippet_char(out: &mut String, c: char) {
    if c != '\t' && is_unsafe(c) {
        push_visible(out, c);
    } else {
        out.push(c);
    }
}

/// The message part of a GitHub workflow command (`::error …::MESSAGE`): `%`, CR and LF
/// escaped as the runner unescapes them, every other unsafe character made visible.
pub fn workflow_data(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '%' => out.push_str("%25"),
            '\r' => out.push_str("%0D"),
            '\n' => out.push_str("%0A"),
            c if is_unsafe(c) => push_visible(&mut out, c),
            c => out.push(c),
        }
    }
    out
}

/// A property value of a GitHub workflow command (`file=…`, `title=…`): data escaping, and
/// `:` and `,`, which end a property.
pub fn workflow_property(text: &str) -> String {
    workflow_data(text).replace(':', "%3A").replace(',', "%2C")
}

/// Text that XML 1.0 can hold: characters outside its `Char` production (most C0 controls,
/// U+FFFE, U+FFFF) become U+FFFD. Markup characters are the writer's to escape.
pub fn xml_chars(text: &str) -> Cow<'_, str> {
    fn allowed(c: char) -> bool {
        matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{d7ff}' | '\u{e000}'..='\u{fffd}' | '\u{10000}'..)
    }
    if text.chars().all(allowed) {
        return Cow::Borrowed(text);
    }
    Cow::Owned(
        text.chars()
            .map(|c| if allowed(c) { c } else { '\u{fffd}' })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_escapes_make_controls_and_bidi_visible() {
        assert_eq!(visible("plain"), "plain");
        assert_eq!(visible("a\u{1b}[31mb\nc"), "a\\u{1b}[31mb\\nc");
        assert_eq!(visible("x\u{202e}y"), "x\\u{202e}y");
    }

    #[test]
    fn workflow_commands_cannot_start_a_line() {
        let line = workflow_data("x\n::error file=a::pwned 50%");
        assert!(!line.contains('\n'));
        assert_eq!(line, "x%0A::error file=a::pwned 50%25");
        assert_eq!(workflow_property("a:b,c"), "a%3Ab%2Cc");
    }

    #[test]
    fn xml_drops_what_it_cannot_hold() {
        assert_eq!(
            xml_chars("a\u{fffe}b\u{ffff}\u{1}c\td"),
            "a\u{fffd}b\u{fffd}\u{fffd}c\td"
        );
    }
}
