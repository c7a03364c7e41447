//! `lockgen plan`: lock keys from metadata, byte-exact reordering, the report, bad input, the
//! spilled sort, and a property test over random files.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::HashMap;
use std::fs;
use std::path::Path;

use common::{SFDX_PROJECT, lockgen, path_str, project, repo_path};
use proptest::prelude::*;

const MASTER_DETAIL: &str = r#"<CustomField xmlns="http://soap.sforce.com/2006/04/metadata">
    <fullName>{name}</fullName>
    <referenceTo>{parent}</referenceTo>
    <relationshipOrder>{order}</relationshipOrder>
    <type>MasterDetail</type>
</CustomField>"#;

const LOOKUP: &str = r#"<CustomField xmlns="http://soap.sforce.com/2006/04/metadata">
    <fullName>{name}</fullName>
    <deleteConstraint>{constraint}</deleteConstraint>
    <referenceTo>{parent}</referenceTo>
    <required>{required}</required>
    <type>Lookup</type>
</CustomField>"#;

fn master_detail(name: &str, parent: &str, order: u8) -> String {
    MASTER_DETAIL
        .replace("{name}", name)
        .replace("{parent}", parent)
        .replace("{order}", &order.to_string())
}

fn lookup(name: &str, parent: &str, constraint: &str, required: bool) -> String {
    LOOKUP
        .replace("{name}", name)
        .replace("{parent}", parent)
        .replace("{constraint}", constraint)
        .replace("{required}", &required.to_string())
}

/// A project whose `Line__c` has a master-detail to `Order__c`; `Enrollment__c` is a junction
/// (master-details to `Course__c` first, `Student__c` second); `Visit__c` has a `SetNull`
/// lookup to `Site__c` that its trigger updates, and a `Restrict` lookup to `Region__c`.
fn fixture() -> tempfile::TempDir {
    let field = |object: &str, name: &str| {
        format!("force-app/objects/{object}/fields/{name}.field-meta.xml")
    };
    let files: Vec<(String, String)> = vec![
        ("sfdx-project.json".into(), SFDX_PROJECT.into()),
        (field("Line__c", "Order__c"), master_detail("Order__c", "Order__c", 0)),
        (field("Enrollment__c", "Student__c"), master_detail("Student__c", "Student__c", 1)),
        (field("Enrollment__c", "Course__c"), master_detail("Course__c", "Course__c", 0)),
        (field("Visit__c", "Site__c"), lookup("Site__c", "Site__c", "SetNull", false)),
        (field("Visit__c", "Region__c"), lookup("Region__c", "Region__c", "Restrict", false)),
        (
            "force-app/triggers/VisitTrigger.trigger".into(),
            "trigger VisitTrigger on Visit__c (after insert) {\n    List<Site__c> sites = new List<Site__c>();\n    for (Visit__c v : Trigger.new) {\n        sites.add(new Site__c(Id = v.Site__c));\n    }\n    update sites;\n}\n".into(),
        ),
    ];
    let borrowed: Vec<(&str, &str)> = files
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    project(&borrowed)
}

fn plan(dir: &Path, file: &str, object: &str, extra: &[&str]) -> common::Run {
    let mut args = vec![
        "plan".to_string(),
        path_str(&dir.join(file)),
        "--object".to_string(),
        object.to_string(),
        "--project".to_string(),
        path_str(dir),
    ];
    args.extend(extra.iter().map(|s| s.to_string()));
    lockgen(&args)
}

/// Records of a CSV file as their raw bytes (header first), split the way the csv crate reads
/// them: an independent reader for checking the output.
fn records(bytes: &[u8]) -> Vec<Vec<String>> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(bytes);
    reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect()
}

/// Collisions of one column, simulated independently: a batch collides when a batch at most
/// `parallel - 1` before it locks the same parent.
fn collisions(rows: &[Vec<String>], column: usize, batch: usize, parallel: usize) -> u64 {
    let mut last: HashMap<&str, usize> = HashMap::new();
    let mut count = 0;
    for (index, row) in rows.iter().enumerate() {
        let value = row[column].as_str();
        if value.trim().is_empty() {
            continue;
        }
        let b = index / batch;
        if let Some(previous) = last.insert(value, b)
            && previous != b
            && b - previous < parallel
        {
            count += 1;
        }
    }
    count
}

fn snapshot(name: &str, text: &str) {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("../snapshots");
    settings.set_prepend_module_to_snapshot(false);
    settings.bind(|| insta::assert_snapshot!(format!("plan__{name}"), text));
}

#[test]
fn example_load_report() {
    let out = tempfile::tempdir().unwrap();
    let target = out.path().join("payments-planned.csv");
    let run = lockgen(&[
        "plan",
        &path_str(&repo_path("examples/acme-billing/data/payments.csv")),
        "--object",
        "Payment__c",
        "--out",
        &path_str(&target),
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let text = run
        .stdout
        .replace(&path_str(&repo_path("")), "")
        .replace(&path_str(out.path()), "[OUT]");
    snapshot("example_human", &text);

    let input = fs::read(repo_path("examples/acme-billing/data/payments.csv")).unwrap();
    let output = fs::read(&target).unwrap();
    let (before, after) = (records(&input), records(&output));
    assert_eq!(before[0], after[0], "the header comes first");
    assert_eq!(collisions(&before[1..], 1, 200, 5), 734);
    assert_eq!(collisions(&after[1..], 1, 200, 5), 4);

    let json = lockgen(&[
        "plan",
        "examples/acme-billing/data/payments.csv",
        "--object",
        "payment__c",
        "--format",
        "json",
    ]);
    assert_eq!(json.code, 0, "{}", json.stderr);
    snapshot("example_json", &json.stdout);
    let value = json.json();
    assert_eq!(value["collisions"][0]["before"]["collisions"], 734);
    assert_eq!(value["output"], serde_json::Value::Null);
}

#[test]
fn rows_are_copied_byte_for_byte() {
    let dir = fixture();
    // A BOM, CRLF, quoted newlines and quotes, a blank line, and a last row without a newline.
    let input = "\u{feff}Name,Order__c,Note__c\r\nA,o1,\"two\r\nlines\"\r\nB,o2,plain\r\n\r\nC,o1,\"say \"\"hi\"\"\"\r\nD,o2,x\r\nE,o1,last";
    fs::write(dir.path().join("lines.csv"), input).unwrap();
    let run = plan(
        dir.path(),
        "lines.csv",
        "Line__c",
        &[
            "--batch-size",
            "3",
            "--out",
            &path_str(&dir.path().join("out.csv")),
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let output = fs::read_to_string(dir.path().join("out.csv")).unwrap();
    assert_eq!(
        output,
        "\u{feff}Name,Order__c,Note__c\r\nA,o1,\"two\r\nlines\"\r\nC,o1,\"say \"\"hi\"\"\"\r\nE,o1,last\r\nB,o2,plain\r\nD,o2,x\r\n"
    );
}

#[test]
fn a_junction_groups_by_its_first_master_present() {
    let dir = fixture();
    let rows: String = (0..12)
        .map(|i| format!("s{},c{}\n", i % 4, i % 3))
        .collect();
    fs::write(
        dir.path().join("both.csv"),
        format!("student__c,COURSE__C\n{rows}"),
    )
    .unwrap();
    let run = plan(
        dir.path(),
        "both.csv",
        "Enrollment__c",
        &["--batch-size", "4", "--parallel", "2", "--format", "json"],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let json = run.json();
    // Course__c is the primary master (relationshipOrder 0), whatever the column order.
    assert_eq!(json["keys_in_file"][0]["key"]["field"], "Course__c");
    assert_eq!(json["keys_in_file"][1]["key"]["field"], "Student__c");
    assert_eq!(json["collisions"].as_array().unwrap().len(), 2);
    assert_eq!(json["collisions"][0]["after"]["collisions"], 0);

    fs::write(dir.path().join("one.csv"), "Student__c,Name\ns1,a\ns2,b\n").unwrap();
    let run = plan(
        dir.path(),
        "one.csv",
        "Enrollment__c",
        &["--format", "json"],
    );
    assert_eq!(run.json()["keys_in_file"][0]["key"]["field"], "Student__c");
}

#[test]
fn a_reordering_that_would_collide_more_keeps_the_file_order() {
    let dir = fixture();
    // Every course once, students in pairs: grouping by course (all singletons) could only
    // scatter the students, which the file's own order keeps together.
    let rows: String = (0..16).map(|i| format!("c{i},s{}\n", i / 2)).collect();
    let input = format!("Course__c,Student__c\n{rows}");
    fs::write(dir.path().join("j.csv"), &input).unwrap();
    let out = path_str(&dir.path().join("o.csv"));
    let run = plan(
        dir.path(),
        "j.csv",
        "Enrollment__c",
        &[
            "--batch-size",
            "2",
            "--parallel",
            "3",
            "--format",
            "json",
            "--out",
            &out,
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let json = run.json();
    assert_eq!(json["order"], "kept", "{json}");
    assert_eq!(
        json["collisions"][1]["before"],
        json["collisions"][1]["after"]
    );
    assert_eq!(fs::read_to_string(&out).unwrap(), input);
}

#[test]
fn a_master_detail_parent_by_external_id() {
    let dir = fixture();
    let rows: String = (0..30).map(|i| format!("L{i},ORD-{}\n", i % 6)).collect();
    fs::write(
        dir.path().join("ext.csv"),
        format!("Name,Order__r.Number__c\n{rows}"),
    )
    .unwrap();
    let run = plan(
        dir.path(),
        "ext.csv",
        "Line__c",
        &[
            "--batch-size",
            "5",
            "--parallel",
            "3",
            "--format",
            "json",
            "--out",
            &path_str(&dir.path().join("o.csv")),
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let json = run.json();
    assert_eq!(json["keys_in_file"][0]["headers"][0], "Order__r.Number__c");
    assert_eq!(json["parents"], 6);
    assert!(
        json["collisions"][0]["before"]["collisions"]
            .as_u64()
            .unwrap()
            > 0
    );
    assert_eq!(json["collisions"][0]["after"]["collisions"], 0);
    let out = records(&fs::read(dir.path().join("o.csv")).unwrap());
    assert_eq!(collisions(&out[1..], 1, 5, 3), 0);

    // `Order:Number__c` and the parent object's name count too.
    for header in ["Order__c:Number__c", "order__c.Number__c"] {
        fs::write(dir.path().join("alt.csv"), format!("{header}\nA\nB\n")).unwrap();
        let run = plan(dir.path(), "alt.csv", "Line__c", &["--format", "json"]);
        assert_eq!(run.json()["keys_in_file"][0]["headers"][0], header);
    }
}

#[test]
fn keys_come_in_lock_order_with_automation_last() {
    let dir = fixture();
    fs::write(dir.path().join("v.csv"), "Site__c,Region__c\nx,r1\ny,r2\n").unwrap();
    let run = plan(dir.path(), "v.csv", "Visit__c", &["--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let json = run.json();
    let keys: Vec<(&str, &str)> = json["lock_keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| (k["field"].as_str().unwrap(), k["reason"].as_str().unwrap()))
        .collect();
    assert_eq!(
        keys,
        vec![("Region__c", "restrict-lookup"), ("Site__c", "automation")]
    );
    assert_eq!(json["lock_keys"][1]["trigger"], "VisitTrigger");
    assert_eq!(json["keys_in_file"][0]["key"]["field"], "Region__c");
}

#[test]
fn standard_relationships_lock() {
    let dir = fixture();
    fs::write(
        dir.path().join("c.csv"),
        "LastName,Account.Key__c\na,k1\nb,k2\n",
    )
    .unwrap();
    let run = plan(dir.path(), "c.csv", "contact", &["--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.json()["keys_in_file"][0]["key"]["field"], "AccountId");
}

#[test]
fn no_locking_column_leaves_the_file_alone() {
    let dir = fixture();
    let input = "Name,Amount__c\r\nb,2\r\na,1";
    fs::write(dir.path().join("n.csv"), input).unwrap();
    let run = plan(dir.path(), "n.csv", "Line__c", &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout
            .contains("no column of the file names a parent that Line__c locks (Order__c)"),
        "{}",
        run.stdout
    );
    let mut names: Vec<String> = fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n != ".lockgen")
        .collect();
    names.sort();
    assert_eq!(
        names,
        ["force-app", "n.csv", "sfdx-project.json"],
        "nothing written"
    );
    let run = plan(
        dir.path(),
        "n.csv",
        "Line__c",
        &["--out", &path_str(&dir.path().join("copy.csv"))],
    );
    assert_eq!(run.code, 0);
    assert_eq!(
        fs::read_to_string(dir.path().join("copy.csv")).unwrap(),
        input
    );
    // An object that locks nothing at all.
    let run = plan(dir.path(), "n.csv", "Account", &[]);
    assert!(
        run.stdout.contains("a write to Account locks no parent"),
        "{}",
        run.stdout
    );
}

/// Every bad input: exit 2, one line naming the line, and no output file.
#[test]
fn bad_input_is_a_one_line_error_and_writes_nothing() {
    let cases: &[(&str, &[u8], &str, &str)] = &[
        (
            "ragged",
            b"Name,Order__c\na,o1\nb\n",
            "Line__c",
            "bad.csv:3: the row has 1 field, the header has 2",
        ),
        (
            "open quote",
            b"Name,Order__c\na,o1\n\"b,o2\nc,o3\n",
            "Line__c",
            "bad.csv:3: the row has 1 field, the header has 2 (a quote left open?)",
        ),
        (
            "unknown object",
            b"Name\na\n",
            "Lien__c",
            "unknown object `Lien__c`",
        ),
        (
            "utf-16",
            b"\xFF\xFEN\0a\0m\0e\0\n\0",
            "Line__c",
            "bad.csv:1: not a CSV file: the file is UTF-16 little-endian (it starts with a byte-order mark), not UTF-8: convert it first, e.g. `iconv -f UTF-16",
        ),
        (
            "utf-16 without bom",
            b"N\0a\0m\0e\0,\0O\0\n\0",
            "Line__c",
            "UTF-16 little-endian (no byte-order mark)",
        ),
        (
            "latin-1",
            b"Name,Order__c\nCaf\xE9,o1\n",
            "Line__c",
            "bad.csv:2: not UTF-8 (byte 0xE9); the bytes look like Windows-1252 or Latin-1 (ISO-8859-1): convert the file first, e.g. `iconv -f WINDOWS-1252 -t UTF-8",
        ),
        (
            "windows-1252",
            b"Name,Order__c\n\x93quoted\x94,o1\n",
            "Line__c",
            "bad.csv:2: not UTF-8 (byte 0x93); the bytes look like Windows-1252",
        ),
        (
            "binary",
            b"Name,Order__c\na,o1\n\0\0\0",
            "Line__c",
            "bad.csv:3: not a CSV file: a NUL byte",
        ),
        (
            "zip",
            b"PK\x03\x04\x14\0\0\0",
            "Line__c",
            "bad.csv:1: not a CSV file: the file is a zip archive",
        ),
        ("empty", b"", "Line__c", "bad.csv: empty file"),
        (
            "blank lines only",
            b"\r\n\r\n",
            "Line__c",
            "bad.csv: empty file",
        ),
    ];
    for (name, bytes, object, expected) in cases {
        let dir = fixture();
        fs::write(dir.path().join("bad.csv"), bytes).unwrap();
        let out = dir.path().join("out");
        fs::create_dir(&out).unwrap();
        let run = plan(
            dir.path(),
            "bad.csv",
            object,
            &["--out", &path_str(&out.join("o.csv"))],
        );
        assert_eq!(run.code, 2, "{name}: {}", run.stdout);
        assert!(run.stderr.contains(expected), "{name}: {}", run.stderr);
        assert_eq!(run.stderr.lines().count(), 1, "{name}: {}", run.stderr);
        assert_eq!(
            fs::read_dir(&out).unwrap().count(),
            0,
            "{name}: left files behind"
        );
        assert_eq!(
            fs::read(dir.path().join("bad.csv")).unwrap(),
            *bytes,
            "{name}"
        );
    }
}

#[test]
fn a_quote_left_open_stops_at_the_record_cap() {
    let dir = fixture();
    let mut input = b"Name,Order__c\na,o1\n\"b,o2\n".to_vec();
    input.extend(std::iter::repeat_n(b"x,o3\n".as_slice(), 4 << 20).flatten());
    fs::write(dir.path().join("open.csv"), &input).unwrap();
    let run = plan(
        dir.path(),
        "open.csv",
        "Line__c",
        &["--out", &path_str(&dir.path().join("o.csv"))],
    );
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("open.csv:3: not a CSV file: the record starting here is longer than 16 MB (a quote left open?)"), "{}", run.stderr);
    assert!(!dir.path().join("o.csv").exists());
}

#[test]
fn out_never_overwrites_the_input() {
    let dir = fixture();
    let input = "Name,Order__c\nb,o2\na,o1\nc,o2\n";
    fs::write(dir.path().join("in.csv"), input).unwrap();
    for out in ["in.csv", "./in.csv"] {
        let run = plan(
            dir.path(),
            "in.csv",
            "Line__c",
            &["--out", &path_str(&dir.path().join(out))],
        );
        assert_eq!(run.code, 2);
        assert!(
            run.stderr
                .contains("is the input file: lockgen plan never overwrites its input"),
            "{}",
            run.stderr
        );
    }
    fs::hard_link(dir.path().join("in.csv"), dir.path().join("link.csv")).unwrap();
    let run = plan(
        dir.path(),
        "in.csv",
        "Line__c",
        &["--out", &path_str(&dir.path().join("link.csv"))],
    );
    assert_eq!(run.code, 2);
    assert_eq!(
        fs::read_to_string(dir.path().join("in.csv")).unwrap(),
        input
    );
}

#[test]
fn a_file_over_the_memory_budget_is_sorted_in_spilled_runs() {
    let dir = fixture();
    let mut input = String::from("Name,Order__c,Note__c\n");
    for i in 0..3000u64 {
        let parent = (i * 2654435761) % 97 + (i % 7) * (i % 11);
        input.push_str(&format!("row {i},o{parent},\"note\n{i}\"\n"));
    }
    fs::write(dir.path().join("big.csv"), &input).unwrap();
    let small = dir.path().join("small-out");
    fs::create_dir(&small).unwrap();
    let spilled = plan(
        dir.path(),
        "big.csv",
        "Line__c",
        &[
            "--batch-size",
            "50",
            "--memory",
            "16KB",
            "--format",
            "json",
            "--out",
            &path_str(&small.join("o.csv")),
        ],
    );
    assert_eq!(spilled.code, 0, "{}", spilled.stderr);
    assert!(spilled.json()["spilled_runs"].as_u64().unwrap() > 3);
    let memory = plan(
        dir.path(),
        "big.csv",
        "Line__c",
        &[
            "--batch-size",
            "50",
            "--format",
            "json",
            "--out",
            &path_str(&dir.path().join("m.csv")),
        ],
    );
    assert_eq!(memory.json()["spilled_runs"], 0);
    assert_eq!(
        fs::read(small.join("o.csv")).unwrap(),
        fs::read(dir.path().join("m.csv")).unwrap()
    );
    // The temporary folder is gone; only the output is left.
    assert_eq!(fs::read_dir(&small).unwrap().count(), 1);

    // An error part-way (a ragged row at the end) removes the runs too.
    input.push_str("ragged\n");
    fs::write(small.join("bad.csv"), &input).unwrap();
    let run = lockgen(&[
        "plan",
        &path_str(&small.join("bad.csv")),
        "--object",
        "Line__c",
        "--project",
        &path_str(dir.path()),
        "--memory",
        "16KB",
    ]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("bad.csv:6002:"), "{}", run.stderr);
    assert_eq!(fs::read_dir(&small).unwrap().count(), 2);
}

#[test]
fn skew_is_reported_whatever_the_batch_size() {
    let dir = fixture();
    let mut input = String::from("Order__c\n");
    for i in 0..10_100 {
        input.push_str(if i % 201 == 0 { "small\n" } else { "big\n" });
    }
    fs::write(dir.path().join("s.csv"), input).unwrap();
    for batch in ["200", "20000"] {
        let run = plan(
            dir.path(),
            "s.csv",
            "Line__c",
            &["--batch-size", batch, "--format", "json"],
        );
        let json = run.json();
        assert_eq!(json["skewed"][0]["parent"], "big", "{batch}");
        assert_eq!(json["skewed"][0]["rows"], 10_049, "{batch}");
        assert_eq!(json["skewed"].as_array().unwrap().len(), 1);
    }
}

#[test]
fn help_lists_plan() {
    let run = lockgen(&["plan", "--help"]);
    assert_eq!(run.code, 0);
    for option in [
        "--object",
        "--batch-size",
        "--parallel",
        "--out",
        "--format",
        "--project",
        "--memory",
    ] {
        assert!(run.stdout.contains(option), "{option}");
    }
}

/// One random load: parents drawn from a few keys (some empty), batch size and parallelism.
fn load() -> impl Strategy<Value = (Vec<Option<u8>>, u32, u32, bool)> {
    (
        prop::collection::vec(prop::option::weighted(0.9, 0u8..12), 0..120),
        1u32..9,
        1u32..5,
        any::<bool>(),
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// For random files: the output is a permutation of the input rows, the header first; the
    /// report's collision counts are exactly those an independent simulation finds in the
    /// input and the output; "after" is never above "before"; and a parent with no more rows
    /// than a batch lies in one batch, unless the report counts it as split (whole groups
    /// could not fill the batches).
    #[test]
    fn plans_are_permutations_that_never_collide_more(
        (parents, batch, parallel, spill) in load()
    ) {
        let dir = fixture();
        let mut input = String::from("Name,Order__c\r\n");
        for (i, parent) in parents.iter().enumerate() {
            let parent = parent.map(|p| format!("o{p}")).unwrap_or_default();
            input.push_str(&format!("\"r{i}\nx\",{parent}\r\n"));
        }
        fs::write(dir.path().join("in.csv"), &input).unwrap();
        let out = dir.path().join("out.csv");
        let batch_text = batch.to_string();
        let parallel_text = parallel.to_string();
        let mut extra = vec!["--batch-size", &batch_text, "--parallel", &parallel_text, "--format", "json"];
        if spill {
            extra.extend(["--memory", "4KB"]);
        }
        let out_text = path_str(&out);
        extra.extend(["--out", &out_text]);
        let run = plan(dir.path(), "in.csv", "Line__c", &extra);
        prop_assert_eq!(run.code, 0, "{}", run.stderr);
        let json = run.json();
        let before_rows = records(input.as_bytes());
        let after_rows = records(&fs::read(&out).unwrap());
        prop_assert_eq!(&before_rows[0], &after_rows[0]);
        let mut sorted_before = before_rows[1..].to_vec();
        let mut sorted_after = after_rows[1..].to_vec();
        sorted_before.sort();
        sorted_after.sort();
        prop_assert_eq!(sorted_before, sorted_after);

        let (b, p) = (batch as usize, parallel as usize);
        let before = collisions(&before_rows[1..], 1, b, p);
        let after = collisions(&after_rows[1..], 1, b, p);
        if parents.iter().any(Option::is_some) {
            prop_assert_eq!(json["collisions"][0]["before"]["collisions"].as_u64().unwrap(), before);
            prop_assert_eq!(json["collisions"][0]["after"]["collisions"].as_u64().unwrap(), after);
        }
        prop_assert!(after <= before, "after {} > before {}", after, before);

        if json["order"] == "reordered" {
            let mut batches: HashMap<&str, Vec<usize>> = HashMap::new();
            for (index, row) in after_rows[1..].iter().enumerate() {
                if !row[1].is_empty() {
                    batches.entry(row[1].as_str()).or_default().push(index / b);
                }
            }
            let split = batches
                .values()
                .filter(|positions| positions.len() <= b && positions.first() != positions.last())
                .count() as u64;
            prop_assert!(split <= json["split"].as_u64().unwrap(), "{} split, {} reported", split, json["split"]);
        }
    }
}
