//! A lexical look at the start of a class file, before (and instead of) parsing it: is this a
//! test class? An `@IsTest` annotation before the file's `class` keyword, with only modifiers,
//! other annotations, comments and whitespace around it.
//!
//! Test classes are about half the Apex of a large org, and no lock rule reads them: test code
//! never runs concurrently in production, and production code cannot reference it. `lint`
//! leaves them unparsed (README, "Speed and the cache"). Anything this scan does not recognise
//! counts as "not a test class", so the file is parsed as before: a wrong "no" costs time, never
//! a finding.

/// Words that may stand between a class's annotations and its `class` keyword.
const MODIFIERS: &[&str] = &[
    "public",
    "private",
    "protected",
    "global",
    "virtual",
    "abstract",
    "with",
    "without",
    "inherited",
    "sharing",
    "static",
    "final",
    "transient",
];

/// Whether `text`, a `.cls` file, declares a top-level class annotated `@IsTest` (in any case).
/// `@IsTest` on an inner class or a method of a production class does not count: that file is
/// production code and is parsed whole.
pub fn is_test_class(text: &str) -> bool {
    let mut scan = Scanner {
        bytes: text.as_bytes(),
        at: 0,
    };
    let mut annotated = false;
    loop {
        if !scan.skip_trivia() {
            return false;
        }
        match scan.peek() {
            Some(b'@') => {
                scan.at += 1;
                if !scan.skip_trivia() {
                    return false;
                }
                let Some(name) = scan.word() else {
                    return false;
                };
                annotated |= name.eq_ignore_ascii_case(b"istest");
                if !scan.skip_trivia() {
                    return false;
                }
                if scan.peek() == Some(b'(') && !scan.skip_parenthesised() {
                    return false;
                }
            }
            Some(_) => {
                let Some(word) = scan.word() else {
                    return false;
                };
                if word.eq_ignore_ascii_case(b"class") {
                    return annotated;
                }
                if !MODIFIERS
                    .iter()
                    .any(|m| word.eq_ignore_ascii_case(m.as_bytes()))
                {
                    return false;
                }
            }
            None => return false,
        }
    }
}

struct Scanner<'t> {
    bytes: &'t [u8],
    at: usize,
}

impl<'t> Scanner<'t> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    /// Skip whitespace and comments; false on a comment that never ends.
    fn skip_trivia(&mut self) -> bool {
        loop {
            match (self.peek(), self.bytes.get(self.at + 1)) {
                (Some(b), _) if b.is_ascii_whitespace() => self.at += 1,
                (Some(b'/'), Some(b'/')) => {
                    match self.bytes[self.at..].iter().position(|b| *b == b'\n') {
                        Some(end) => self.at += end + 1,
                        None => self.at = self.bytes.len(),
                    }
                }
                (Some(b'/'), Some(b'*')) => {
                    let body = &self.bytes[self.at + 2..];
                    match body.windows(2).position(|w| w == b"*/") {
                        Some(end) => self.at += 2 + end + 2,
                        None => return false,
                    }
                }
                _ => return true,
            }
        }
    }

    /// An ASCII identifier or keyword.
    fn word(&mut self) -> Option<&'t [u8]> {
        let start = self.at;
        let first = self.peek()?;
        if !(first.is_ascii_alphabetic() || first == b'_' || first == b'$') {
            return None;
        }
        while self
            .peek()
            .is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'$')
        {
            self.at += 1;
        }
        Some(&self.bytes[start..self.at])
    }

    /// Skip `( … )`, with nested parentheses, strings and comments inside; false when it never
    /// closes.
    fn skip_parenthesised(&mut self) -> bool {
        let mut depth = 0usize;
        loop {
            if !self.skip_trivia() {
                return false;
            }
            let Some(b) = self.peek() else {
                return false;
            };
            self.at += 1;
            match b {
                b'(' => depth += 1,
                b')' => {
                    depth -= 1;
                    if depth == 0 {
                        return true;
                    }
                }
                b'\'' if !self.skip_string() => return false,
                _ => {}
            }
        }
    }

    /// Skip the rest of a `'…'` literal (backslash escapes); false when it never closes.
    fn skip_string(&mut self) -> bool {
        while let Some(b) = self.peek() {
            self.at += 1;
            match b {
                b'\\' => self.at += 1,
                b'\'' => return true,
                b'\n' => return false,
                _ => {}
            }
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_classes_are_recognised() {
        for text in [
            "@IsTest\nprivate class FooTest { }",
            "@isTest class FooTest { }",
            "@ISTEST public class FooTest { }",
            "@IsTest(SeeAllData=true)\nprivate class FooTest { }",
            "@IsTest ( isParallel = true ) private class FooTest { }",
            "/* header @nothing */\n// another\n@IsTest\nglobal with sharing class FooTest { }",
            "@SuppressWarnings('PMD.ApexUnitTestClassShouldHaveAsserts, ( odd')\n@IsTest\nprivate class FooTest { }",
            "@IsTest @SuppressWarnings('x') public inherited sharing class FooTest { }",
            "@ IsTest /* spaced */ private class FooTest { }",
            "@IsTest\r\nprivate without sharing class FooTest { }",
            "@IsTest public virtual class TestBase { }",
        ] {
            assert!(is_test_class(text), "{text}");
        }
    }

    #[test]
    fn production_classes_are_not() {
        for text in [
            "public class Foo { }",
            // Test code inside a production class: the file is parsed whole.
            "public class Foo {\n  @IsTest static void t() { }\n  @IsTest class Inner { }\n}",
            "public class Foo { @IsTest\n private class InnerTest { } }",
            // Comments and strings that mention it.
            "// @IsTest\npublic class Foo { }",
            "/* @IsTest */ public class Foo { }",
            "@SuppressWarnings('@IsTest') public class Foo { }",
            "@TestVisible public class Foo { }",
            "@IsTestable public class Foo { }",
            // Not a class header: left to the parser.
            "@IsTest public interface Foo { }",
            "@IsTest public enum Foo { A }",
            "@IsTest Integer i = 1; class Foo { }",
            "@IsTest",
            "",
            "@IsTest /* never closed class Foo { }",
            "@IsTest('never closed class Foo { }",
            "@IsTest(x private class Foo { }",
            "System.debug('x'); @IsTest class Foo { }",
        ] {
            assert!(!is_test_class(text), "{text}");
        }
    }

    #[test]
    fn deep_or_odd_input_is_cheap_and_safe() {
        let deep = format!(
            "@IsTest{}{} class X {{}}",
            "(".repeat(100_000),
            ")".repeat(100_000)
        );
        assert!(is_test_class(&deep));
        assert!(!is_test_class(&"(".repeat(100_000)));
        assert!(!is_test_class("@IsTest(')"));
        assert!(!is_test_class("@IsTest('\\"));
        assert!(!is_test_class("/"));
        assert!(!is_test_class("@"));
        assert!(!is_test_class("é class X {}"));
    }

    /// On every class of the corpus (the fixtures, and `LOCKGEN_GRAMMAR_CORPUS`), the scan says
    /// "test class" exactly when the parser finds a top-level class annotated `@IsTest`.
    #[test]
    fn agrees_with_the_parser() {
        use crate::apex::model::{ApexFileKind, TypeKind};
        let mut disagree = Vec::new();
        let mut tests = 0usize;
        for path in crate::apex::parser::equivalence::corpus() {
            if path.extension().is_none_or(|e| e != "cls") {
                continue;
            }
            let Ok(text) = std::fs::read_to_string(&path) else {
                continue;
            };
            let model = crate::apex::parse_apex(&text, ApexFileKind::Class).expect("grammar");
            let parsed = model.types.first().is_some_and(|t| {
                t.outer.is_none()
                    && t.kind == TypeKind::Class
                    && t.modifiers.annotation("IsTest").is_some()
            });
            tests += usize::from(parsed);
            if parsed != is_test_class(&text) {
                disagree.push(path.display().to_string());
            }
        }
        assert!(tests > 0);
        assert!(disagree.is_empty(), "{disagree:#?}");
    }
}
