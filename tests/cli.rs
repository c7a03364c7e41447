//! The command line as users meet it: exit codes, bad input, file mode, determinism, JSON.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::fs;

use common::{SFDX_PROJECT, lockgen, path_str, project};

const EXAMPLE: &str = "examples/acme-billing";

fn example() -> String {
    path_str(&common::repo_path(EXAMPLE))
}

#[test]
fn example_org_shows_every_implemented_rule() {
    let run = lockgen(&["lint", &example(), "--format", "json"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let rules: std::collections::BTreeSet<String> =
        run.findings().into_iter().map(|(rule, ..)| rule).collect();
    for meta in lockgen::rules::registry::metas() {
        assert!(
            rules.contains(meta.code),
            "{} does not fire on the example org",
            meta.code
        );
    }
}

#[test]
fn json_output_follows_the_contract() {
    let run = lockgen(&["lint", &example(), "--format", "json"]);
    let json = run.json();
    assert_eq!(json["version"], env!("CARGO_PKG_VERSION"));
    assert!(json["root"].as_str().unwrap().ends_with("acme-billing"));
    let findings = json["findings"].as_array().unwrap();
    let keys = [
        "rule",
        "name",
        "severity",
        "path",
        "line",
        "column",
        "end_line",
        "end_column",
        "message",
        "help",
        "object",
        "related",
    ];
    for finding in findings {
        let object = finding.as_object().unwrap();
        let mut present: Vec<&str> = object.keys().map(String::as_str).collect();
        present.sort();
        let mut expected = keys.to_vec();
        expected.sort();
        assert_eq!(present, expected);
        assert!(!finding["path"].as_str().unwrap().contains('\\'));
        assert!(finding["line"].as_u64().unwrap() >= 1);
        assert!(finding["column"].as_u64().unwrap() >= 1);
        assert!(
            finding["help"].is_null() || finding["help"].as_str().is_some_and(|h| !h.is_empty()),
            "help is the fix line, or null"
        );
        for related in finding["related"].as_array().unwrap() {
            let mut keys: Vec<&str> = related
                .as_object()
                .unwrap()
                .keys()
                .map(String::as_str)
                .collect();
            keys.sort();
            assert_eq!(keys, ["column", "line", "message", "path"]);
        }
    }
    let summary = &json["summary"];
    assert_eq!(
        summary["findings"].as_u64().unwrap() as usize,
        findings.len()
    );
    let by_rule: u64 = summary["by_rule"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_u64().unwrap())
        .sum();
    assert_eq!(by_rule as usize, findings.len());
    assert_eq!(summary["parse_errors"], summary["by_rule"]["LCK000"]);
    // Sorted by (path, line, column, rule).
    let order: Vec<(String, u64, u64, String)> = findings
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap(),
                f["column"].as_u64().unwrap(),
                f["rule"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let mut sorted = order.clone();
    sorted.sort();
    assert_eq!(order, sorted);
}

#[test]
fn output_is_byte_for_byte_reproducible() {
    for format in ["json", "human"] {
        let first = lockgen(&["lint", &example(), "--format", format]);
        let second = lockgen(&["lint", &example(), "--format", format]);
        assert_eq!(
            first.stdout, second.stdout,
            "{format} output differs between runs"
        );
    }
}

#[test]
fn exit_codes_follow_fail_on() {
    let dir = project(&[
        ("sfdx-project.json", SFDX_PROJECT),
        (
            "force-app/main/default/objects/A__c/fields/B__c.field-meta.xml",
            "<CustomField><fullName>B__c</fullName><deleteConstraint>Restrict</deleteConstraint><referenceTo>Account</referenceTo><type>Lookup</type></CustomField>",
        ),
    ]);
    let root = path_str(dir.path());
    // One info finding (LCK003).
    assert_eq!(
        lockgen(&["lint", &root]).code,
        0,
        "info is below the default threshold"
    );
    assert_eq!(lockgen(&["lint", &root, "--fail-on", "info"]).code, 1);
    assert_eq!(lockgen(&["lint", &root, "--fail-on", "never"]).code, 0);
    let example = example();
    assert_eq!(lockgen(&["lint", &example]).code, 1);
    assert_eq!(
        lockgen(&["lint", &example, "--fail-on", "error"]).code,
        1,
        "LCK000 and LCK006 are errors"
    );
    assert_eq!(
        lockgen(&[
            "lint",
            &example,
            "--fail-on",
            "error",
            "--ignore",
            "LCK000,LCK006"
        ])
        .code,
        0
    );
}

#[test]
fn select_and_ignore_take_codes_and_names() {
    let example = example();
    let run = lockgen(&[
        "lint",
        &example,
        "--format",
        "json",
        "--select",
        "dml-in-loop,LCK001",
    ]);
    let rules: std::collections::BTreeSet<String> =
        run.findings().into_iter().map(|(r, ..)| r).collect();
    assert_eq!(rules.into_iter().collect::<Vec<_>>(), ["LCK001", "LCK007"]);
    let run = lockgen(&["lint", &example, "--select", "LCK07"]);
    assert_eq!(run.code, 2);
    assert_eq!(
        run.stderr,
        "lockgen: error: unknown rule `LCK07` (did you mean `LCK007`?)\n"
    );
}

#[test]
fn files_mode_reports_only_findings_in_the_given_files() {
    let example = common::repo_path(EXAMPLE);
    let trigger = example.join("force-app/main/default/triggers/AccountAudit.trigger");
    let run = lockgen(&["lint", &path_str(&trigger), "--format", "json"]);
    let findings = run.findings();
    assert!(!findings.is_empty());
    for (_, path, _) in &findings {
        assert_eq!(path, "force-app/main/default/triggers/AccountAudit.trigger");
    }
    // The whole project was still analysed: the related location is in the other trigger.
    let json = run.json();
    let related = &json["findings"][0]["related"][0]["path"];
    assert_eq!(
        related,
        "force-app/main/default/triggers/AccountTrigger.trigger"
    );
    assert!(json["root"].as_str().unwrap().ends_with("acme-billing"));
}

#[test]
fn missing_path_is_a_one_line_error() {
    let run = lockgen(&["lint", "does/not/exist"]);
    assert_eq!(run.code, 2);
    assert_eq!(
        run.stderr,
        "lockgen: error: path not found: does/not/exist\n"
    );
    assert!(run.stdout.is_empty());
}

#[test]
fn malformed_sfdx_project_names_the_file_and_position() {
    let dir = project(&[(
        "sfdx-project.json",
        "{\n  \"packageDirectories\": [\n    {\"path\": \"force-app\",}\n  ]\n}\n",
    )]);
    let run = lockgen(&["lint", &path_str(dir.path())]);
    assert_eq!(run.code, 2);
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("sfdx-project.json:3:"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("malformed sfdx-project.json"),
        "{}",
        run.stderr
    );

    let dir = project(&[("sfdx-project.json", "{\"name\": \"x\"}")]);
    let run = lockgen(&["lint", &path_str(dir.path())]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("no `packageDirectories`"),
        "{}",
        run.stderr
    );
}

#[test]
fn bad_files_become_findings_and_the_run_goes_on() {
    let dir = project(&[
        ("sfdx-project.json", SFDX_PROJECT),
        ("force-app/main/default/classes/Empty.cls", ""),
        (
            "force-app/main/default/objects/A__c/fields/Broken__c.field-meta.xml",
            "<CustomField><fullName>Broken__c</fullName>",
        ),
        (
            "force-app/main/default/classes/Loop.cls",
            "public class Loop { void m(List<Account> a) { for (Account x : a) { update x; } } }",
        ),
    ]);
    fs::write(
        dir.path().join("force-app/main/default/classes/Nul.cls"),
        b"\0\0\0\0",
    )
    .unwrap();
    fs::write(
        dir.path().join("force-app/main/default/classes/Latin1.cls"),
        b"public class Latin1 { String s = 'caf\xe9'; }",
    )
    .unwrap();
    let run = lockgen(&["lint", &path_str(dir.path()), "--format", "json"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let mut found = run.findings();
    found.sort();
    assert_eq!(
        found,
        [
            (
                "LCK000".to_string(),
                "force-app/main/default/classes/Empty.cls".to_string(),
                1
            ),
            (
                "LCK000".to_string(),
                "force-app/main/default/classes/Latin1.cls".to_string(),
                1
            ),
            (
                "LCK000".to_string(),
                "force-app/main/default/classes/Nul.cls".to_string(),
                1
            ),
            (
                "LCK000".to_string(),
                "force-app/main/default/objects/A__c/fields/Broken__c.field-meta.xml".to_string(),
                1
            ),
            (
                "LCK007".to_string(),
                "force-app/main/default/classes/Loop.cls".to_string(),
                1
            ),
        ]
    );
}

#[test]
fn unreadable_file_is_a_one_line_error() {
    let dir = project(&[
        ("sfdx-project.json", SFDX_PROJECT),
        ("force-app/main/default/classes/A.cls", "public class A {}"),
    ]);
    // A dangling symlink cannot be read, even by root.
    std::os::unix::fs::symlink(
        dir.path().join("nowhere.cls"),
        dir.path().join("force-app/main/default/classes/Gone.cls"),
    )
    .unwrap();
    let run = lockgen(&["lint", &path_str(dir.path())]);
    assert_eq!(run.code, 2);
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("cannot read force-app/main/default/classes/Gone.cls"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_folder_without_project_files_is_scanned_with_a_note() {
    let dir = project(&[(
        "Loose.cls",
        "public class Loose { void m(List<Account> a) { while (true) { delete a; } } }",
    )]);
    let run = lockgen(&["lint", &path_str(dir.path()), "--format", "json"]);
    assert_eq!(run.code, 1);
    assert_eq!(run.stderr.lines().count(), 1);
    assert!(
        run.stderr
            .contains("no sfdx-project.json or package.xml found"),
        "{}",
        run.stderr
    );
    assert_eq!(
        run.findings(),
        [("LCK007".to_string(), "Loose.cls".to_string(), 1)]
    );
}

#[test]
fn forceignore_and_package_directories_limit_the_scan() {
    let dir = project(&[
        (
            "sfdx-project.json",
            r#"{"packageDirectories": [{"path": "./app/"}, {"path": "missing"}]}"#,
        ),
        (".forceignore", "# generated code\n**/generated/**\n"),
        (
            "app/classes/A.cls",
            "public class A { void m(List<Account> a) { for (Account x : a) { update x; } } }",
        ),
        (
            "app/generated/B.cls",
            "public class B { void m(List<Account> a) { for (Account x : a) { update x; } } }",
        ),
        ("scripts/C.cls", "update [SELECT Id FROM Account];"),
    ]);
    let run = lockgen(&["lint", &path_str(dir.path()), "--format", "json"]);
    assert_eq!(
        run.findings(),
        [("LCK007".to_string(), "app/classes/A.cls".to_string(), 1)]
    );
    assert!(
        run.stderr.contains("package directory `missing`"),
        "{}",
        run.stderr
    );
    assert_eq!(run.json()["summary"]["files"], 1);
}

#[test]
fn rules_and_explain_come_from_the_rule_docs() {
    let run = lockgen(&["rules"]);
    assert_eq!(run.code, 0);
    for meta in lockgen::rules::registry::metas() {
        assert!(run.stdout.contains(meta.code) && run.stdout.contains(meta.name));
    }
    let run = lockgen(&["explain", "lck007"]);
    assert_eq!(run.code, 0);
    assert!(run.stdout.starts_with("# LCK007 dml-in-loop\n"));
    assert!(run.stdout.contains("## Why it matters"));
    let run = lockgen(&["explain", "dml-in-loops"]);
    assert_eq!(run.code, 2);
    assert_eq!(
        run.stderr,
        "lockgen: error: unknown rule `dml-in-loops` (did you mean `dml-in-loop`?)\n"
    );
}

#[test]
fn readme_rule_table_matches_the_registry() {
    let readme_path = common::repo_path("README.md");
    let readme = fs::read_to_string(&readme_path).unwrap();
    let start = "<!-- rules:start -->\n";
    let end = "<!-- rules:end -->";
    let from = readme.find(start).expect("README has <!-- rules:start -->") + start.len();
    let to = readme.find(end).expect("README has <!-- rules:end -->");
    let table = lockgen(&["rules", "--format", "markdown"]).stdout;
    if readme[from..to] != table {
        if std::env::var_os("UPDATE_README").is_some() {
            let updated = format!("{}{}{}", &readme[..from], table, &readme[to..]);
            fs::write(&readme_path, updated).unwrap();
        } else {
            panic!(
                "README's rule table is stale; run `UPDATE_README=1 cargo test --test cli readme` and commit:\n{table}"
            );
        }
    }
}

#[test]
fn usage_errors_exit_2_and_help_exits_0() {
    let run = lockgen(&["lint", "--format", "xml"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.starts_with("error: invalid value 'xml'"),
        "{}",
        run.stderr
    );
    let run = lockgen(&["--help"]);
    assert_eq!(run.code, 0);
    assert!(run.stdout.contains("lint"));
    let run = lockgen(&["--version"]);
    assert_eq!(run.code, 0);
    assert_eq!(
        run.stdout,
        format!("lockgen {}\n", env!("CARGO_PKG_VERSION"))
    );
}
