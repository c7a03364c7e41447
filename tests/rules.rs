//! One driver for every rule: each `fail_*` fixture fires its rule (the human rendering is
//! snapshotted), each `pass_*` fixture does not; every rule's documented Example fires and its
//! Fix does not.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::fs;
use std::path::PathBuf;

use common::{lockgen, materialize, path_str, project};
use lockgen::rules::registry;

fn fixtures_of(code: &str) -> Vec<PathBuf> {
    let dir = common::repo_path(&format!("tests/fixtures/{code}"));
    let mut entries: Vec<PathBuf> = fs::read_dir(&dir)
        .unwrap_or_else(|_| panic!("{code} has no fixtures folder at {}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy();
            name.starts_with("fail_") || name.starts_with("pass_")
        })
        .collect();
    entries.sort();
    entries
}

fn fixture_name(path: &std::path::Path) -> String {
    let name = path.file_name().unwrap().to_string_lossy();
    name.split('.').next().unwrap().to_string()
}

fn count_of(code: &str, root: &str) -> (usize, String) {
    let run = lockgen(&[
        "lint",
        root,
        "--select",
        code,
        "--format",
        "json",
        "--fail-on",
        "never",
    ]);
    assert_eq!(run.code, 0, "lint failed: {}", run.stderr);
    let findings = run.findings();
    let listed = findings
        .iter()
        .map(|(rule, path, line)| format!("{rule} {path}:{line}"))
        .collect::<Vec<_>>()
        .join("\n");
    (
        findings.iter().filter(|(rule, ..)| rule == code).count(),
        listed,
    )
}

#[test]
fn every_rule_has_fail_and_pass_fixtures() {
    for meta in registry::metas() {
        let fixtures = fixtures_of(meta.code);
        let fails = fixtures
            .iter()
            .filter(|p| fixture_name(p).starts_with("fail_"))
            .count();
        let passes = fixtures
            .iter()
            .filter(|p| fixture_name(p).starts_with("pass_"))
            .count();
        assert!(
            fails >= 3,
            "{}: {fails} fail fixtures, want at least 3",
            meta.code
        );
        assert!(
            passes >= 3,
            "{}: {passes} pass fixtures, want at least 3",
            meta.code
        );
    }
}

#[test]
fn fixtures_fire_exactly_where_expected() {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("../snapshots");
    settings.set_prepend_module_to_snapshot(false);
    let _guard = settings.bind_to_scope();
    for meta in registry::metas() {
        for fixture in fixtures_of(meta.code) {
            let name = fixture_name(&fixture);
            let dir = materialize(&fixture);
            let root = path_str(dir.path());
            let (count, listed) = count_of(meta.code, &root);
            if name.starts_with("pass_") {
                assert_eq!(
                    count, 0,
                    "{}/{name} must not fire, but found:\n{listed}",
                    meta.code
                );
                continue;
            }
            assert!(
                count > 0,
                "{}/{name} must fire, but found nothing",
                meta.code
            );
            let human = lockgen(&[
                "lint",
                &root,
                "--select",
                meta.code,
                "--color",
                "never",
                "--fail-on",
                "never",
            ]);
            insta::assert_snapshot!(format!("rules__{}__{name}", meta.code), human.stdout);
        }
    }
}

/// Materialize the fenced blocks of a docs section into a project: ```` ```apex Name.trigger ````
/// names the file; an unnamed Apex block becomes `Example<N>.cls`.
fn docs_project(section: &str) -> tempfile::TempDir {
    let mut files: Vec<(String, String)> = Vec::new();
    let mut lines = section.lines();
    while let Some(line) = lines.next() {
        let Some(info) = line.trim().strip_prefix("```") else {
            continue;
        };
        let mut info = info.split_whitespace();
        let language = info.next().unwrap_or("");
        let named = info.next().map(str::to_string);
        let mut body = String::new();
        for line in lines.by_ref() {
            if line.trim() == "```" {
                break;
            }
            body.push_str(line);
            body.push('\n');
        }
        let path = match (language, named) {
            (_, Some(name)) if name.contains('/') => format!("force-app/main/default/{name}"),
            (_, Some(name)) if name.ends_with(".trigger") => {
                format!("force-app/main/default/triggers/{name}")
            }
            (_, Some(name)) => format!("force-app/main/default/classes/{name}"),
            ("apex", None) => format!("force-app/main/default/classes/Example{}.cls", files.len()),
            _ => continue,
        };
        files.push((path, body));
    }
    assert!(!files.is_empty(), "no code blocks in:\n{section}");
    let mut all: Vec<(&str, &str)> = files
        .iter()
        .map(|(p, b)| (p.as_str(), b.as_str()))
        .collect();
    all.push(("sfdx-project.json", common::SFDX_PROJECT));
    project(&all)
}

#[test]
fn documented_examples_fire_and_fixes_do_not() {
    for meta in registry::metas() {
        let example = meta.section("Example").unwrap();
        let dir = docs_project(&example);
        let (count, _) = count_of(meta.code, &path_str(dir.path()));
        assert!(
            count > 0,
            "{}: the documented Example does not fire",
            meta.code
        );

        let fix = meta.section("Fix").unwrap();
        let dir = docs_project(&fix);
        let (count, listed) = count_of(meta.code, &path_str(dir.path()));
        assert_eq!(
            count, 0,
            "{}: the documented Fix fires:\n{listed}",
            meta.code
        );
    }
}
