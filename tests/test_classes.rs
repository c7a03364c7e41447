//! Test classes are not parsed nor analysed by `lint` (README, "Speed and the cache"): a
//! top-level `@IsTest` class is counted as skipped, and nothing in it is reported; test code
//! inside a production class is parsed with its class, as before.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{SFDX_PROJECT, lockgen, path_str};

const CLASSES: &str = "force-app/main/default/classes";

/// DML in a loop and a syntax error: both would be reported in production code.
const TEST_CLASS: &str = "/* Tests for Looping. @IsTest is what matters, not this comment. */
@IsTest(SeeAllData=false)
private class LoopingTest {
    @IsTest
    static void manyAccounts() {
        for (Integer i = 0; i < 5; i++) {
            insert new Account(Name = 'A' + i);
        }
        Integer broken = ;
    }
}
";

const PRODUCTION: &str = "public with sharing class Looping {
    public static void save(List<Account> accounts) {
        for (Account a : accounts) {
            update a;
        }
    }

    @IsTest
    private class InnerTest {
        @IsTest
        static void t() {
            Integer broken = ;
        }
    }
}
";

/// Mentions `@IsTest` only in a comment and a string: production code.
const NOT_A_TEST: &str = "// @IsTest
@SuppressWarnings('@IsTest')
public class Mentions {
    public static void save(List<Contact> contacts) {
        for (Contact c : contacts) {
            insert c;
        }
    }
}
";

fn project() -> tempfile::TempDir {
    common::project(&[
        ("sfdx-project.json", SFDX_PROJECT),
        (&format!("{CLASSES}/LoopingTest.cls"), TEST_CLASS),
        (&format!("{CLASSES}/Looping.cls"), PRODUCTION),
        (&format!("{CLASSES}/Mentions.cls"), NOT_A_TEST),
    ])
}

#[test]
fn test_classes_are_skipped_and_counted() {
    let dir = project();
    let root = path_str(dir.path());
    let run = lockgen(&[
        "lint",
        &root,
        "--format",
        "json",
        "--fail-on",
        "never",
        "--no-cache",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let mut findings = run.findings();
    findings.sort();
    assert_eq!(
        findings,
        [
            // The inner test class's syntax error: its file is production code, parsed whole.
            ("LCK000".to_string(), format!("{CLASSES}/Looping.cls"), 12),
            ("LCK007".to_string(), format!("{CLASSES}/Looping.cls"), 4),
            ("LCK007".to_string(), format!("{CLASSES}/Mentions.cls"), 6),
        ]
    );
    let summary = &run.json()["summary"];
    assert_eq!(summary["skipped_test_classes"], 1);
    assert_eq!(summary["files"], 3);
    assert_eq!(summary["parse_errors"], 1);

    let human = lockgen(&["lint", &root, "--fail-on", "never", "--no-cache"]);
    assert!(
        human.stdout.contains("in 3 files (1 test class skipped)"),
        "{}",
        human.stdout
    );
}

#[test]
fn the_count_survives_the_cache() {
    let dir = project();
    let root = path_str(dir.path());
    let args = ["lint", &root, "--format", "json", "--fail-on", "never"];
    let cold = lockgen(&[&args[..], &["--no-cache"]].concat());
    let first = lockgen(&args);
    let warm = lockgen(&args);
    assert_eq!(first.stdout, cold.stdout);
    assert_eq!(warm.stdout, cold.stdout);
    assert_eq!(warm.json()["summary"]["skipped_test_classes"], 1);
}

#[test]
fn a_project_without_test_classes_says_nothing_of_them() {
    let dir = common::project(&[
        ("sfdx-project.json", SFDX_PROJECT),
        (&format!("{CLASSES}/Looping.cls"), PRODUCTION),
    ]);
    let root = path_str(dir.path());
    let human = lockgen(&["lint", &root, "--fail-on", "never", "--no-cache"]);
    assert!(!human.stdout.contains("skipped"), "{}", human.stdout);
    let json = lockgen(&[
        "lint",
        &root,
        "--format",
        "json",
        "--fail-on",
        "never",
        "--no-cache",
    ]);
    assert_eq!(json.json()["summary"]["skipped_test_classes"], 0);
}
