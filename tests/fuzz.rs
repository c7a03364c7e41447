//! A bounded fuzzing harness that runs on stable Rust in CI: random and mutated inputs for the
//! Apex extractor, the metadata reader and the config reader must never panic, and the
//! extractor must stay within its invariants (problems sorted, spans inside the text).
//! `PROPTEST_CASES=20000 cargo test --release --test fuzz` runs a longer campaign.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use lockgen::apex::model::ApexFileKind;
use lockgen::apex::parse_apex;
use proptest::prelude::*;

/// Apex-flavoured tokens, so random input reaches deep into the grammar.
const TOKENS: &[&str] = &[
    "public",
    "private",
    "global",
    "with sharing",
    "class",
    "interface",
    "enum",
    "trigger",
    "on",
    "before insert",
    "after update",
    "static",
    "void",
    "Integer",
    "String",
    "List<Account>",
    "Map<Id, Contact>",
    "Set<Id>",
    "Account",
    "Invoice__c",
    "Trigger",
    ".",
    "new",
    "old",
    "newMap",
    "insert",
    "update",
    "upsert",
    "delete",
    "merge",
    "undelete",
    "Database",
    "query",
    "for",
    "while",
    "do",
    "if",
    "else",
    "try",
    "catch",
    "finally",
    "(",
    ")",
    "{",
    "}",
    "[",
    "]",
    ";",
    ",",
    "=",
    "==",
    "!",
    "&&",
    "+",
    "?",
    ":",
    "'SELECT Id FROM Account FOR UPDATE'",
    "[SELECT Id FROM Account WHERE Id IN :ids FOR UPDATE]",
    "return",
    "throw",
    "x",
    "y",
    "i",
    "0",
    "1",
    "true",
    "null",
    "@future",
    "@IsTest",
    "implements",
    "Queueable",
    "extends",
    "System.attachFinalizer",
    "switch on",
    "when",
    "// comment\n",
    "/* block */",
    "\n",
    " ",
];

fn token_soup() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(TOKENS), 0..400).prop_map(|t| t.join(" "))
}

/// Real fixture sources, for mutation.
fn seeds() -> Vec<String> {
    let mut seeds = Vec::new();
    for code in ["LCK000", "LCK007"] {
        let dir = common::repo_path(&format!("tests/fixtures/{code}"));
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path
                .extension()
                .is_some_and(|e| e == "cls" || e == "trigger")
                && let Ok(text) = std::fs::read_to_string(&path)
            {
                seeds.push(text);
            }
        }
    }
    seeds
}

fn check_extractor(text: &str) {
    for kind in [ApexFileKind::Class, ApexFileKind::Trigger] {
        let file = parse_apex(text, kind).expect("the grammar loads");
        let len = text.len() as u32;
        for problem in &file.problems {
            assert!(problem.span.start <= problem.span.end && problem.span.end <= len);
        }
        assert!(file.problems.windows(2).all(|w| w[0].span <= w[1].span));
        for ty in &file.types {
            assert!(ty.span.end <= len && ty.name.span.end <= len);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn extractor_survives_token_soup(text in token_soup()) {
        check_extractor(&text);
    }

    #[test]
    fn extractor_survives_arbitrary_text(text in "\\PC{0,2000}") {
        check_extractor(&text);
    }

    #[test]
    fn extractor_survives_mutated_sources(
        seed in any::<prop::sample::Index>(),
        edits in prop::collection::vec((any::<prop::sample::Index>(), 0u8..3, prop::sample::select(TOKENS)), 1..20),
    ) {
        let seeds = seeds();
        let mut text = seeds[seed.index(seeds.len())].clone();
        for (at, op, token) in edits {
            let mut cut = at.index(text.len() + 1);
            while !text.is_char_boundary(cut) {
                cut -= 1;
            }
            match op {
                0 => text.insert_str(cut, token),
                1 => {
                    let mut end = (cut + token.len()).min(text.len());
                    while !text.is_char_boundary(end) {
                        end -= 1;
                    }
                    text.replace_range(cut..end, "");
                }
                _ => text.truncate(cut),
            }
        }
        check_extractor(&text);
    }

    #[test]
    fn metadata_reader_survives_xml_soup(
        parts in prop::collection::vec(prop::sample::select(&[
            "<?xml version=\"1.0\"?>", "<CustomField>", "</CustomField>", "<CustomObject>",
            "</CustomObject>", "<fields>", "</fields>", "<fullName>", "</fullName>", "A__c",
            "<type>", "</type>", "Lookup", "MasterDetail", "<referenceTo>", "</referenceTo>",
            "Account", "<deleteConstraint>", "</deleteConstraint>", "Restrict", "<required>",
            "</required>", "true", "&amp;", "&bogus;", "&#x41;", "&#99999999;", "<!-- c -->",
            "<![CDATA[x]]>", "<!DOCTYPE a [<!ENTITY e \"&e;&e;\">]>", "&e;", "<a/>", "<", ">", "\"",
            "<status>", "</status>", "Inactive",
        ][..]), 0..80),
    ) {
        let text = parts.concat();
        let _ = lockgen::metadata::parse_field_file("X__c", "A__c", &text);
        let _ = lockgen::metadata::parse_object_file("X__c", &text);
        let _ = lockgen::metadata::parse_trigger_status(&text);
        let _ = lockgen::metadata::xml::parse(&text);
    }

    #[test]
    fn config_reader_survives_toml_soup(
        parts in prop::collection::vec(prop::sample::select(&[
            "fail-on = ", "\"error\"", "\"sometimes\"", "exclude = ", "[\"**/x\"]", "[\"[\"]",
            "hot-objects = ", "[\"Account\"]", "[rules]", "select = ", "ignore = ",
            "[\"LCK001\", \"LCK07\"]", "[rules.severity]", "LCK004 = ", "\"info\"", "\n", "=",
            "[", "]", "\"", "1", "true", "{", "}", "#", "unknown = 3",
        ][..]), 0..40),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("lockgen.toml");
        std::fs::write(&config, parts.concat()).unwrap();
        let run = common::lockgen(&[
            "lint", dir.path().to_str().unwrap(), "--show-settings", "--config", config.to_str().unwrap(),
        ]);
        prop_assert!(run.code == 0 || run.code == 2, "exit {}: {}", run.code, run.stderr);
        if run.code == 2 {
            prop_assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
        }
    }
}
