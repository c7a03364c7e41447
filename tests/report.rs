//! The CI side of lint: SARIF, GitHub and JUnit output, lockgen.toml, suppressions, baselines.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::fs;

use common::{SFDX_PROJECT, lockgen, path_str, project};

const LOOPING: &str = "public with sharing class Looping {
    public static void touch(List<Account> accounts) {
        for (Account a : accounts) {
            update a;
        }
    }
}
";

fn example() -> String {
    path_str(&common::repo_path("examples/acme-billing"))
}

fn looping_project(class: &str) -> tempfile::TempDir {
    project(&[
        ("sfdx-project.json", SFDX_PROJECT),
        ("force-app/main/default/classes/Looping.cls", class),
    ])
}

#[test]
fn sarif_has_the_driver_rules_and_full_regions() {
    let run = lockgen(&["lint", &example(), "--format", "sarif"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let sarif = run.json();
    assert_eq!(sarif["version"], "2.1.0");
    let driver = &sarif["runs"][0]["tool"]["driver"];
    assert_eq!(driver["name"], "lockgen");
    assert_eq!(driver["version"], env!("CARGO_PKG_VERSION"));
    assert!(
        driver["informationUri"]
            .as_str()
            .unwrap()
            .starts_with("https://")
    );
    let rules = driver["rules"].as_array().unwrap();
    assert_eq!(
        rules.len(),
        lockgen::rules::registry::metas().count(),
        "one rule per registry entry"
    );
    for rule in rules {
        assert!(
            rule["help"]["text"]
                .as_str()
                .unwrap()
                .contains("## Why it matters")
        );
        assert!(
            ["error", "warning", "note"]
                .contains(&rule["defaultConfiguration"]["level"].as_str().unwrap())
        );
    }
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    let json = lockgen(&["lint", &example(), "--format", "json"]).json();
    assert_eq!(results.len(), json["findings"].as_array().unwrap().len());
    let mut fingerprints = std::collections::BTreeSet::new();
    for result in results {
        let index = result["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[index]["id"], result["ruleId"]);
        let location = &result["locations"][0]["physicalLocation"];
        assert_eq!(location["artifactLocation"]["uriBaseId"], "%SRCROOT%");
        assert!(
            !location["artifactLocation"]["uri"]
                .as_str()
                .unwrap()
                .starts_with('/')
        );
        let region = &location["region"];
        for key in ["startLine", "startColumn", "endLine", "endColumn"] {
            assert!(region[key].as_u64().unwrap() >= 1, "{key}");
        }
        assert!(
            fingerprints.insert(
                result["partialFingerprints"]["lockgenFingerprint/v1"]
                    .as_str()
                    .unwrap()
                    .to_string()
            )
        );
    }
    assert!(results.iter().any(|r| {
        r["relatedLocations"]
            .as_array()
            .is_some_and(|a| !a.is_empty())
    }));
}

#[test]
fn github_annotations_escape_and_point_at_lines() {
    let dir = looping_project(LOOPING);
    let run = lockgen(&["lint", &path_str(dir.path()), "--format", "github"]);
    assert_eq!(run.code, 1);
    let first = run.stdout.lines().next().unwrap();
    assert!(
        first.starts_with("::warning file=")
            && first.contains(
                "Looping.cls,line=4,col=13,endLine=4,endColumn=21,title=LCK007 dml-in-loop::"
            ),
        "{first}"
    );
    assert!(first.contains("%0Ahelp: "), "newlines are escaped: {first}");
}

#[test]
fn junit_is_well_formed_with_a_failure_per_finding() {
    let run = lockgen(&["lint", &example(), "--format", "junit"]);
    let xml = run.stdout;
    assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites"));
    let findings = lockgen(&["lint", &example(), "--format", "json"])
        .findings()
        .len();
    assert_eq!(xml.matches("<failure ").count(), findings);
    assert_eq!(
        xml.matches("<testsuite ").count(),
        lockgen::rules::registry::metas().count()
    );
    // Well-formed: lockgen's own XML reader accepts it.
    assert!(lockgen::metadata::xml::parse(&xml).is_ok());
}

#[test]
fn config_selects_rules_sets_severity_and_raises_hot_objects() {
    let dir = looping_project(LOOPING);
    let root = path_str(dir.path());
    fs::write(
        dir.path().join("lockgen.toml"),
        "fail-on = \"error\"\nhot-objects = [\"account\"]\n\n[rules]\nselect = [\"dml-in-loop\", \"LCK001\"]\n",
    )
    .unwrap();
    let run = lockgen(&["lint", &root, "--format", "json"]);
    let findings = run.json()["findings"].clone();
    assert_eq!(findings[0]["rule"], "LCK007");
    assert_eq!(
        findings[0]["severity"], "error",
        "Account is hot: warning becomes error"
    );
    assert_eq!(run.code, 1, "fail-on error from the file");
    // The command line wins over the file.
    assert_eq!(lockgen(&["lint", &root, "--fail-on", "never"]).code, 0);
    fs::write(
        dir.path().join("lockgen.toml"),
        "[rules]\nignore = [\"LCK007\"]\n",
    )
    .unwrap();
    assert_eq!(lockgen(&["lint", &root, "--format", "json"]).findings(), []);
    fs::write(
        dir.path().join("lockgen.toml"),
        "[rules.severity]\nLCK007 = \"info\"\n",
    )
    .unwrap();
    let run = lockgen(&["lint", &root, "--format", "json"]);
    assert_eq!(run.json()["findings"][0]["severity"], "info");
    assert_eq!(run.code, 0, "info is below the default fail-on");
    let run = lockgen(&["lint", &root, "--show-settings"]);
    assert_eq!(run.code, 0);
    assert!(
        run.stdout
            .contains("LCK007 dml-in-loop                      info     (severity: lockgen.toml)"),
        "{}",
        run.stdout
    );
}

#[test]
fn config_errors_name_the_file_line_and_a_fix() {
    let dir = looping_project(LOOPING);
    let root = path_str(dir.path());
    for (toml, expected) in [
        (
            "fail-on = \"warning\"\nhot_objects = [\"Account\"]\n",
            ":2:1: unknown field `hot_objects`",
        ),
        (
            "[rules]\nselect = [\"LCK001\", \"LCK07\"]\n",
            ":2:21: unknown rule `LCK07` (did you mean `LCK007`?)",
        ),
        (
            "[rules.severity]\nLCK999 = \"error\"\n",
            ":2:1: unknown rule `LCK999`",
        ),
        (
            "[rules.severity]\nLCK007 = \"fatal\"\n",
            ":2:10: `fatal` is not a severity",
        ),
        (
            "fail-on = \"sometimes\"\n",
            ":1:11: `sometimes` is not a fail-on level",
        ),
        ("exclude = [\"a/[b\"]\n", ":1:12: invalid exclude pattern"),
        ("this is not toml", ":1:"),
    ] {
        fs::write(dir.path().join("lockgen.toml"), toml).unwrap();
        let run = lockgen(&["lint", &root]);
        assert_eq!(run.code, 2, "{toml}");
        assert_eq!(run.stderr.lines().count(), 1, "{toml}: {}", run.stderr);
        assert!(
            run.stderr.contains("lockgen.toml"),
            "{toml}: {}",
            run.stderr
        );
        assert!(run.stderr.contains(expected), "{toml}: {}", run.stderr);
    }
    fs::write(dir.path().join("lockgen.toml"), "hot-object = []\n").unwrap();
    let run = lockgen(&["lint", &root]);
    assert!(
        run.stderr.contains("did you mean `hot-objects`?"),
        "{}",
        run.stderr
    );
}

#[test]
fn exclude_patterns_hide_findings_but_keep_the_analysis() {
    let dir = looping_project(LOOPING);
    fs::write(
        dir.path().join("lockgen.toml"),
        "exclude = [\"force-app/**/Looping.cls\"]\n",
    )
    .unwrap();
    let run = lockgen(&["lint", &path_str(dir.path()), "--format", "json"]);
    assert_eq!(run.findings(), []);
}

#[test]
fn inline_suppressions_silence_exactly_their_finding() {
    let class = "public with sharing class Looping {
    public static void touch(List<Account> accounts, List<Contact> contacts) {
        for (Account a : accounts) {
            // lockgen:ignore LCK007 one account at a time, by design
            update a;
        }
        for (Contact c : contacts) {
            update c; // lockgen:ignore dml-in-loop, LCK004 kept for the audit trail
        }
        for (Contact c : contacts) {
            delete c;
        }
    }
    @SuppressWarnings('PMD.ApexCRUDViolation, lockgen:LCK007')
    public static void purge(List<Case> cases) {
        for (Case k : cases) {
            delete k;
        }
    }
    // lockgen:ignore LCK007 nothing below needs it
    public static void idle() {}
}
";
    let dir = looping_project(class);
    let root = path_str(dir.path());
    let run = lockgen(&[
        "lint",
        &root,
        "--format",
        "json",
        "--report-unused-suppressions",
    ]);
    let lines: Vec<u64> = run
        .findings()
        .into_iter()
        .map(|(_, _, line)| line)
        .collect();
    assert_eq!(lines, [11], "only the unsuppressed delete remains");
    assert!(
        run.stderr
            .contains("Looping.cls:20:5: unused suppression of LCK007"),
        "{}",
        run.stderr
    );
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
}

#[test]
fn metadata_xml_takes_comment_suppressions() {
    let dir = project(&[
        ("sfdx-project.json", SFDX_PROJECT),
        (
            "force-app/main/default/objects/A__c/fields/B__c.field-meta.xml",
            "<CustomField>\n<fullName>B__c</fullName>\n<!-- lockgen:ignore LCK003 parents are never busy -->\n<deleteConstraint>Restrict</deleteConstraint>\n<referenceTo>Account</referenceTo>\n<type>Lookup</type>\n</CustomField>\n",
        ),
    ]);
    let run = lockgen(&[
        "lint",
        &path_str(dir.path()),
        "--format",
        "json",
        "--fail-on",
        "info",
    ]);
    assert_eq!(run.findings(), []);
    assert_eq!(run.code, 0);
}

#[test]
fn a_baseline_survives_moved_lines_and_fails_only_new_findings() {
    let dir = looping_project(LOOPING);
    let root = path_str(dir.path());
    let baseline = dir.path().join("lockgen-baseline.json");
    let baseline_arg = path_str(&baseline);
    let run = lockgen(&["lint", &root, "--write-baseline", &baseline_arg]);
    assert_eq!(run.code, 0, "writing a baseline accepts today's findings");
    assert!(run.stderr.contains("wrote 1 findings to the baseline"));
    // Lines move: a comment block and a method are added above the loop.
    let moved = LOOPING.replace(
        "    public static void touch",
        "    // A helper added later.\n    public static Integer answer() {\n        return 42;\n    }\n\n    public static void touch",
    );
    fs::write(
        dir.path()
            .join("force-app/main/default/classes/Looping.cls"),
        &moved,
    )
    .unwrap();
    let run = lockgen(&[
        "lint",
        &root,
        "--baseline",
        &baseline_arg,
        "--format",
        "json",
    ]);
    assert_eq!(run.code, 0, "moved lines stay baselined: {}", run.stdout);
    assert_eq!(run.json()["summary"]["baselined"], 1);
    // A new finding fails the run, alone.
    let added = moved.replace(
        "            update a;\n",
        "            update a;\n            delete a;\n",
    );
    fs::write(
        dir.path()
            .join("force-app/main/default/classes/Looping.cls"),
        &added,
    )
    .unwrap();
    let run = lockgen(&[
        "lint",
        &root,
        "--baseline",
        &baseline_arg,
        "--format",
        "json",
    ]);
    assert_eq!(run.code, 1);
    let findings = run.json()["findings"].clone();
    assert_eq!(findings.as_array().unwrap().len(), 1);
    assert!(
        findings[0]["message"]
            .as_str()
            .unwrap()
            .starts_with("`delete`")
    );
    let human = lockgen(&["lint", &root, "--baseline", &baseline_arg]);
    assert!(
        human.stdout.contains("; 1 more in the baseline"),
        "{}",
        human.stdout
    );
}

#[test]
fn foreign_and_newer_baselines_are_clear_errors() {
    let dir = looping_project(LOOPING);
    let root = path_str(dir.path());
    let baseline = dir.path().join("b.json");
    fs::write(
        &baseline,
        "{\"format\": 7, \"lockgen\": \"9.0.0\", \"findings\": []}",
    )
    .unwrap();
    let run = lockgen(&["lint", &root, "--baseline", &path_str(&baseline)]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .contains("written by lockgen 9.0.0 in baseline format 7"),
        "{}",
        run.stderr
    );
    fs::write(&baseline, "[1, 2, 3]").unwrap();
    let run = lockgen(&["lint", &root, "--baseline", &path_str(&baseline)]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("is not a lockgen baseline"),
        "{}",
        run.stderr
    );
    assert_eq!(run.stderr.lines().count(), 1);
}

#[test]
fn the_cache_never_changes_a_result() {
    let dir = looping_project(LOOPING);
    let root = path_str(dir.path());
    let cold = lockgen(&["lint", &root, "--format", "json", "--no-cache"]);
    assert!(
        !dir.path().join(".lockgen").exists(),
        "--no-cache writes nothing"
    );
    let first = lockgen(&["lint", &root, "--format", "json"]);
    let cache = dir.path().join(".lockgen/cache");
    assert!(cache.join("models.bin").is_file() && cache.join("results.bin").is_file());
    let warm = lockgen(&["lint", &root, "--format", "json"]);
    assert_eq!(cold.stdout, first.stdout);
    assert_eq!(cold.stdout, warm.stdout, "a warm run prints the same bytes");
    // A corrupt cache is rebuilt silently.
    fs::write(cache.join("results.bin"), b"\xff\x00 not a cache").unwrap();
    fs::write(cache.join("models.bin"), b"").unwrap();
    let rebuilt = lockgen(&["lint", &root, "--format", "json"]);
    assert_eq!(cold.stdout, rebuilt.stdout);
    assert!(rebuilt.stderr.is_empty(), "{}", rebuilt.stderr);
    // A changed file is seen even with a warm cache.
    fs::write(
        dir.path()
            .join("force-app/main/default/classes/Looping.cls"),
        LOOPING.replace("update a;", "a.Name = 'x';"),
    )
    .unwrap();
    let changed = lockgen(&["lint", &root, "--format", "json"]);
    assert_eq!(changed.findings(), []);
    assert_eq!(changed.code, 0);
}

#[test]
fn xdg_cache_home_moves_the_cache_out_of_the_project() {
    // The environment is process-wide: this test only reads the variable through a child.
    let dir = looping_project(LOOPING);
    let cache_home = tempfile::tempdir().unwrap();
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_lockgen"))
        .args(["lint", &path_str(dir.path()), "--format", "json"])
        .env("XDG_CACHE_HOME", cache_home.path())
        .output()
        .unwrap();
    assert_eq!(status.status.code(), Some(1));
    assert!(!dir.path().join(".lockgen").exists());
    assert!(cache_home.path().join("lockgen").is_dir());
}
