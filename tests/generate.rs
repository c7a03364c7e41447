//! `lockgen new`: golden output per generator, generated code that parses and lints clean,
//! name validation, and safe writing.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::fs;
use std::path::Path;

use common::{SFDX_PROJECT, lockgen, path_str, project};

const MASTER_DETAIL: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<CustomField xmlns="http://soap.sforce.com/2006/04/metadata">
    <fullName>Account__c</fullName>
    <label>Account</label>
    <referenceTo>Account</referenceTo>
    <relationshipName>Summaries</relationshipName>
    <type>MasterDetail</type>
</CustomField>
"#;

const KEY_FIELD: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<CustomField xmlns="http://soap.sforce.com/2006/04/metadata">
    <fullName>Key__c</fullName>
    <externalId>true</externalId>
    <label>Key</label>
    <length>80</length>
    <type>Text</type>
    <unique>true</unique>
</CustomField>
"#;

/// A project with a custom child of Account (master-detail) that has an external ID.
fn summary_project() -> tempfile::TempDir {
    project(&[
        ("sfdx-project.json", SFDX_PROJECT),
        (
            "force-app/main/default/objects/Account_Summary__c/fields/Account__c.field-meta.xml",
            MASTER_DETAIL,
        ),
        (
            "force-app/main/default/objects/Account_Summary__c/fields/Key__c.field-meta.xml",
            KEY_FIELD,
        ),
    ])
}

/// Every generator with the parameter sets the golden files cover.
const REQUESTS: &[(&str, &[&str])] = &[
    (
        "queueable_insert_missing",
        &[
            "queueable",
            "SummaryJob",
            "--object",
            "Account",
            "--child",
            "Account_Summary__c",
        ],
    ),
    (
        "queueable_upsert",
        &[
            "queueable",
            "SummaryUpsertJob",
            "--object",
            "Account",
            "--child",
            "Account_Summary__c",
            "--external-id",
            "Key__c",
            "--max-retries",
            "5",
        ],
    ),
    (
        "queueable_standard_child",
        &[
            "queueable",
            "ContactJob",
            "--object",
            "Account",
            "--child",
            "Contact",
        ],
    ),
    (
        "queueable_parent_only",
        &["queueable", "AccountRecalcJob", "--object", "Account"],
    ),
    (
        "lock_typed",
        &["lock", "AccountLocks", "--object", "Account"],
    ),
    ("lock_any", &["lock", "RecordLocks"]),
    (
        "upsert",
        &[
            "upsert",
            "SummaryUpserter",
            "--object",
            "Account_Summary__c",
            "--external-id",
            "Key__c",
        ],
    ),
    (
        "upsert_with_field",
        &[
            "upsert",
            "ContactSync",
            "--object",
            "Contact",
            "--external-id",
            "Legacy_Key__c",
            "--with-field",
        ],
    ),
    ("trigger", &["trigger", "Account_Summary__c"]),
];

fn generate(root: &Path, request: &[&str], extra: &[&str]) -> common::Run {
    let mut args = vec!["new"];
    args.extend_from_slice(request);
    args.extend_from_slice(&["--project", root.to_str().unwrap()]);
    args.extend_from_slice(extra);
    lockgen(&args)
}

#[test]
fn golden_output_of_every_generator() {
    let dir = summary_project();
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("../snapshots");
    settings.set_prepend_module_to_snapshot(false);
    let _guard = settings.bind_to_scope();
    for (name, request) in REQUESTS {
        let run = generate(dir.path(), request, &["--dry-run"]);
        assert_eq!(run.code, 0, "{name}: {}", run.stderr);
        // Paths in the output are relative to the (temporary) project: make them stable.
        let output = run.stdout.replace(&path_str(dir.path()), "<project>");
        insta::assert_snapshot!(format!("generate__{name}"), output);
        let again = generate(dir.path(), request, &["--dry-run"]);
        assert_eq!(run.stdout, again.stdout, "{name}: generating twice differs");
    }
    assert!(
        !dir.path().join("force-app/main/default/classes").exists(),
        "--dry-run wrote files"
    );
}

#[test]
fn generated_code_parses_and_lints_clean() {
    let dir = summary_project();
    for (name, request) in REQUESTS {
        let run = generate(dir.path(), request, &[]);
        assert_eq!(run.code, 0, "{name}: {}", run.stderr);
    }
    let classes = dir.path().join("force-app/main/default/classes");
    let written = fs::read_dir(&classes).unwrap().count();
    assert_eq!(
        written,
        2 * (2 * (REQUESTS.len() - 1) + 2),
        "every class, test and -meta.xml"
    );
    for entry in fs::read_dir(&classes).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "cls") {
            let text = fs::read_to_string(&path).unwrap();
            let model = lockgen::apex::parse_apex(&text, lockgen::apex::model::ApexFileKind::Class)
                .unwrap();
            assert!(
                model.problems.is_empty(),
                "{}: {:?}",
                path.display(),
                model.problems
            );
        }
    }
    let run = lockgen(&[
        "lint",
        &path_str(dir.path()),
        "--format",
        "json",
        "--fail-on",
        "info",
    ]);
    assert_eq!(
        run.findings(),
        [],
        "generated code must lint clean: {}",
        run.stdout
    );
    assert_eq!(run.code, 0);
}

#[test]
fn meta_files_take_the_project_api_version() {
    let dir = project(&[(
        "sfdx-project.json",
        r#"{"packageDirectories": [{"path": "app", "default": true}], "sourceApiVersion": "60.0"}"#,
    )]);
    fs::create_dir_all(dir.path().join("app")).unwrap();
    let run = generate(dir.path(), &["lock", "Locks"], &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let meta = fs::read_to_string(
        dir.path()
            .join("app/main/default/classes/Locks.cls-meta.xml"),
    )
    .unwrap();
    assert!(meta.contains("<apiVersion>60.0</apiVersion>"), "{meta}");

    let bare = project(&[]);
    let out = bare.path().join("out");
    let run = generate(
        bare.path(),
        &["lock", "Locks", "--output-dir", out.to_str().unwrap()],
        &[],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let meta = fs::read_to_string(out.join("classes/Locks.cls-meta.xml")).unwrap();
    assert!(meta.contains(&format!(
        "<apiVersion>{}</apiVersion>",
        lockgen::generate::DEFAULT_API_VERSION
    )));
}

#[test]
fn invalid_names_are_one_line_errors() {
    let dir = summary_project();
    for (request, message) in [
        (
            &["queueable", "2Job", "--object", "Account"][..],
            "must start with a letter",
        ),
        (
            &["queueable", "Summary__Job", "--object", "Account"][..],
            "two underscores",
        ),
        (
            &["queueable", "Job_", "--object", "Account"][..],
            "end with an underscore",
        ),
        (
            &["queueable", "Summary-Job", "--object", "Account"][..],
            "letters, digits and underscores",
        ),
        (
            &["queueable", "Trigger", "--object", "Account"][..],
            "reserved word",
        ),
        (
            &["lock", "ThisNameIsFarTooLongForAnApexClassToHave"][..],
            "at most 40 characters",
        ),
        (
            &["lock", "Locks", "--object", "Bad Object"][..],
            "not an SObject API name",
        ),
        (
            &[
                "upsert",
                "Up",
                "--object",
                "Account",
                "--external-id",
                "Key__x",
            ][..],
            "not a field API name",
        ),
        (
            &[
                "queueable",
                "J",
                "--object",
                "Account",
                "--max-retries",
                "6",
            ][..],
            "more than 5",
        ),
        (&["trigger", "Invoice__"][..], "not an SObject API name"),
    ] {
        let run = generate(dir.path(), request, &[]);
        assert_eq!(run.code, 2, "{request:?}");
        assert_eq!(run.stderr.lines().count(), 1, "{request:?}: {}", run.stderr);
        assert!(run.stderr.contains(message), "{request:?}: {}", run.stderr);
    }
    let run = lockgen(&["new", "widget", "X"]);
    assert_eq!(run.code, 2, "an unknown generator is a usage error");
}

#[test]
fn the_parent_field_comes_from_metadata_or_the_standard_table() {
    let dir = summary_project();
    let run = generate(
        dir.path(),
        &[
            "queueable",
            "J",
            "--object",
            "Account",
            "--child",
            "Account_Summary__c",
        ],
        &["--dry-run"],
    );
    assert!(
        run.stdout.contains("WHERE Account__c IN :parentIds"),
        "from metadata"
    );
    let run = generate(
        dir.path(),
        &[
            "queueable",
            "J",
            "--object",
            "Account",
            "--child",
            "Opportunity",
        ],
        &["--dry-run"],
    );
    assert!(
        run.stdout.contains("WHERE AccountId IN :parentIds"),
        "from the standard table"
    );
    let run = generate(
        dir.path(),
        &[
            "queueable",
            "J",
            "--object",
            "Account",
            "--child",
            "Widget__c",
        ],
        &[],
    );
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .contains("no relationship from `Widget__c` to `Account`"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("--parent-field"));
    let run = generate(
        dir.path(),
        &[
            "queueable",
            "J",
            "--object",
            "Account",
            "--child",
            "Widget__c",
            "--parent-field",
            "Owner_Account__c",
        ],
        &["--dry-run"],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("Owner_Account__c = parent.Id"));
}

#[test]
fn existing_files_are_kept_unless_forced() {
    let dir = summary_project();
    assert_eq!(generate(dir.path(), &["lock", "Locks"], &[]).code, 0);
    let class = dir.path().join("force-app/main/default/classes/Locks.cls");
    fs::write(&class, "// edited by hand\n").unwrap();
    let run = generate(dir.path(), &["lock", "Locks", "--object", "Account"], &[]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("Locks.cls exists already"),
        "{}",
        run.stderr
    );
    assert_eq!(
        fs::read_to_string(&class).unwrap(),
        "// edited by hand\n",
        "nothing overwritten"
    );
    assert_eq!(
        generate(
            dir.path(),
            &["lock", "Locks", "--object", "Account"],
            &["--force"]
        )
        .code,
        0
    );
    assert!(fs::read_to_string(&class).unwrap().contains("FOR UPDATE"));
    let leftovers: Vec<_> = fs::read_dir(class.parent().unwrap())
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .ends_with(".lockgen-tmp")
        })
        .collect();
    assert!(leftovers.is_empty(), "temporary files left behind");
}

#[test]
fn a_second_trigger_is_refused_unless_forced() {
    let dir = project(&[
        ("sfdx-project.json", SFDX_PROJECT),
        (
            "force-app/main/default/triggers/LeadRouting.trigger",
            "trigger LeadRouting on Lead (before insert) {}",
        ),
    ]);
    let run = generate(dir.path(), &["trigger", "Lead"], &[]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .contains("`LeadRouting` in force-app/main/default/triggers/LeadRouting.trigger"),
        "{}",
        run.stderr
    );
    assert_eq!(
        generate(dir.path(), &["trigger", "Lead"], &["--force"]).code,
        0
    );
    assert!(
        dir.path()
            .join("force-app/main/default/triggers/LeadTrigger.trigger")
            .is_file()
    );
}

#[test]
fn project_templates_override_the_built_in_ones() {
    let dir = summary_project();
    let overrides = dir.path().join(".lockgen/templates");
    fs::create_dir_all(&overrides).unwrap();
    fs::write(
        overrides.join("class.cls-meta.xml.jinja"),
        "<custom apiVersion=\"{{ api_version }}\"/>\n",
    )
    .unwrap();
    let run = generate(dir.path(), &["lock", "Locks"], &["--dry-run"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains("<custom apiVersion=\"61.0\"/>"),
        "{}",
        run.stdout
    );
    fs::write(overrides.join("lock.cls.jinja"), "{{ no_such_value }}").unwrap();
    let run = generate(dir.path(), &["lock", "Locks"], &["--dry-run"]);
    assert_eq!(
        run.code, 2,
        "strict undefined: a template using an unknown value fails"
    );
    assert!(run.stderr.contains("lock.cls.jinja"), "{}", run.stderr);
}

#[test]
fn list_shows_generators_and_templates() {
    let run = lockgen(&["new", "--list"]);
    assert_eq!(run.code, 0);
    for needle in [
        "queueable NAME --object PARENT",
        "lock NAME",
        "upsert NAME",
        "trigger SOBJECT",
        "--max-retries",
    ] {
        assert!(run.stdout.contains(needle), "{needle}");
    }
    for (template, _) in lockgen::generate::TEMPLATES {
        assert!(run.stdout.contains(template), "{template}");
    }
}
