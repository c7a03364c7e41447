//! Hostile input: every case ends with findings or a clear error, within bounded time and
//! memory, without a panic, an abort or a hang. The binary runs in a child process under a
//! memory limit and a watchdog.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::fs;
use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::SFDX_PROJECT;

struct Outcome {
    code: Option<i32>,
    stdout: String,
    stderr: String,
    took: Duration,
}

/// Run lockgen with at most `memory_mb` of address space; kill it after `seconds`.
fn bounded(args: &[&str], seconds: u64, memory_mb: u64) -> Outcome {
    let started = Instant::now();
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "ulimit -v {}; exec \"$0\" \"$@\"",
            memory_mb * 1024
        ))
        .arg(env!("CARGO_BIN_EXE_lockgen"))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let out_reader = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stdout.read_to_string(&mut text);
        text
    });
    let err_reader = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        text
    });
    let deadline = started + Duration::from_secs(seconds);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("lockgen {args:?} still running after {seconds} s");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let outcome = Outcome {
        code: status.code(),
        stdout: out_reader.join().unwrap(),
        stderr: err_reader.join().unwrap(),
        took: started.elapsed(),
    };
    assert!(!outcome.stderr.contains("panicked"), "{}", outcome.stderr);
    assert!(
        !outcome.stderr.contains("internal error"),
        "{}",
        outcome.stderr
    );
    outcome
}

fn lint_json(root: &Path) -> Outcome {
    bounded(
        &[
            "lint",
            root.to_str().unwrap(),
            "--format",
            "json",
            "--no-cache",
        ],
        60,
        4096,
    )
}

fn rules_and_lines(outcome: &Outcome) -> Vec<(String, u64)> {
    let json: serde_json::Value = serde_json::from_str(&outcome.stdout)
        .unwrap_or_else(|e| panic!("{e}: {} / {}", outcome.stdout, outcome.stderr));
    json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap(),
            )
        })
        .collect()
}

fn classes(dir: &Path) -> std::path::PathBuf {
    fs::write(dir.join("sfdx-project.json"), SFDX_PROJECT).unwrap();
    let classes = dir.join("force-app/main/default/classes");
    fs::create_dir_all(&classes).unwrap();
    classes
}

#[test]
fn expressions_and_blocks_nested_ten_thousand_deep() {
    let dir = tempfile::tempdir().unwrap();
    let classes = classes(dir.path());
    let n = 10_000;
    fs::write(
        classes.join("Deep.cls"),
        format!(
            "public class Deep {{\n    Integer x = {}1{};\n    void m() {{ Integer y = {}; }}\n}}\n",
            "(".repeat(n),
            ")".repeat(n),
            vec!["1"; n].join(" + ")
        ),
    )
    .unwrap();
    fs::write(
        classes.join("Nested.cls"),
        format!(
            "public class Nested {{\n    void m(List<Account> a) {{\n{}for (Account x : a) {{ update x; }}\n{}    }}\n}}\n",
            "if (true) {\n".repeat(n),
            "}\n".repeat(n)
        ),
    )
    .unwrap();
    let outcome = lint_json(dir.path());
    assert_eq!(outcome.code, Some(1));
    let found = rules_and_lines(&outcome);
    assert!(
        found.iter().any(|(rule, _)| rule == "LCK000"),
        "partial analysis is reported: {found:?}"
    );
}

#[test]
fn a_fifty_megabyte_class_is_refused_quickly() {
    let dir = tempfile::tempdir().unwrap();
    let classes = classes(dir.path());
    let line = "    public static Integer f(Integer x) { return x + 1; }\n";
    let body = line.repeat(50 * 1024 * 1024 / line.len());
    fs::write(
        classes.join("Huge.cls"),
        format!("public class Huge {{\n{body}}}\n"),
    )
    .unwrap();
    fs::write(
        classes.join("Small.cls"),
        "public class Small { void m(List<Account> a) { for (Account x : a) { delete x; } } }",
    )
    .unwrap();
    let outcome = lint_json(dir.path());
    assert_eq!(outcome.code, Some(1));
    let found = rules_and_lines(&outcome);
    assert_eq!(
        found,
        [("LCK000".to_string(), 1), ("LCK007".to_string(), 1)]
    );
    assert!(
        outcome
            .stdout
            .contains("far larger than an Apex class can be")
    );
    assert!(outcome.took < Duration::from_secs(20), "{:?}", outcome.took);
}

#[test]
fn nul_bytes_invalid_utf8_and_an_entity_bomb_are_findings() {
    let dir = tempfile::tempdir().unwrap();
    let classes = classes(dir.path());
    fs::write(classes.join("Nul.cls"), vec![0u8; 4096]).unwrap();
    fs::write(
        classes.join("Latin.cls"),
        b"public class Latin { String s = '\xe9\xe8'; }",
    )
    .unwrap();
    let fields = dir
        .path()
        .join("force-app/main/default/objects/Bomb__c/fields");
    fs::create_dir_all(&fields).unwrap();
    let mut bomb =
        String::from("<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [\n<!ENTITY lol \"lol\">\n");
    for level in 1..10 {
        bomb.push_str(&format!(
            "<!ENTITY lol{level} \"{}\">\n",
            format!(
                "&lol{};",
                if level == 1 {
                    String::new()
                } else {
                    (level - 1).to_string()
                }
            )
            .repeat(10)
        ));
    }
    bomb.push_str("]>\n<CustomField><fullName>&lol9;</fullName><type>Lookup</type><deleteConstraint>Restrict</deleteConstraint><referenceTo>Account</referenceTo></CustomField>\n");
    fs::write(fields.join("A__c.field-meta.xml"), bomb).unwrap();
    let outcome = bounded(
        &[
            "lint",
            dir.path().to_str().unwrap(),
            "--format",
            "json",
            "--no-cache",
            "--fail-on",
            "info",
        ],
        30,
        1024,
    );
    assert_eq!(outcome.code, Some(1));
    let found = rules_and_lines(&outcome);
    assert!(found.contains(&("LCK000".to_string(), 1)), "{found:?}");
    assert!(
        found.iter().any(|(rule, _)| rule == "LCK003"),
        "the bomb's field is still read, unexpanded: {found:?}"
    );
}

#[test]
fn symlink_loops_fifos_and_unreadable_files() {
    let dir = tempfile::tempdir().unwrap();
    let classes = classes(dir.path());
    fs::write(classes.join("Ok.cls"), "public class Ok {}").unwrap();
    // A directory that links to its parent: not followed.
    std::os::unix::fs::symlink(&classes, classes.join("loop")).unwrap();
    // A FIFO named like a class: never opened (reading it would block forever).
    let fifo = classes.join("Pipe.cls");
    let made = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success());
    let outcome = bounded(
        &[
            "lint",
            dir.path().to_str().unwrap(),
            "--format",
            "json",
            "--no-cache",
        ],
        30,
        1024,
    );
    assert_eq!(outcome.code, Some(0), "{}", outcome.stderr);
    assert!(
        outcome
            .stderr
            .contains("Pipe.cls: not a regular file; skipped"),
        "{}",
        outcome.stderr
    );

    // Files linking to each other cannot be read: a one-line error, exit 2.
    std::os::unix::fs::symlink(classes.join("B.cls"), classes.join("A.cls")).unwrap();
    std::os::unix::fs::symlink(classes.join("A.cls"), classes.join("B.cls")).unwrap();
    let outcome = bounded(
        &["lint", dir.path().to_str().unwrap(), "--no-cache"],
        30,
        1024,
    );
    assert_eq!(outcome.code, Some(2));
    assert_eq!(
        outcome.stderr.lines().count(),
        1,
        "one line: {}",
        outcome.stderr
    );
    assert!(
        outcome
            .stderr
            .contains("cannot read force-app/main/default/classes/A.cls"),
        "{}",
        outcome.stderr
    );

    // A file nobody may read (root ignores permissions: then it is simply read).
    fs::remove_file(classes.join("A.cls")).unwrap();
    fs::remove_file(classes.join("B.cls")).unwrap();
    let locked = classes.join("Locked.cls");
    fs::write(&locked, "public class Locked {}").unwrap();
    Command::new("chmod")
        .arg("000")
        .arg(&locked)
        .status()
        .unwrap();
    let outcome = bounded(
        &["lint", dir.path().to_str().unwrap(), "--no-cache"],
        30,
        1024,
    );
    if fs::read(&locked).is_err() {
        assert_eq!(outcome.code, Some(2));
        assert!(
            outcome
                .stderr
                .contains("cannot read force-app/main/default/classes/Locked.cls")
        );
    } else {
        assert_eq!(outcome.code, Some(0), "{}", outcome.stderr);
    }
}

#[test]
fn a_hundred_thousand_files() {
    let dir = tempfile::tempdir().unwrap();
    let classes = classes(dir.path());
    for folder in 0..100 {
        let sub = classes.join(format!("f{folder:03}"));
        fs::create_dir(&sub).unwrap();
        for index in 0..1000 {
            fs::write(
                sub.join(format!("C{folder}x{index}.cls")),
                format!("public class C{folder}x{index} {{ public Integer v() {{ return {index}; }} }}\n"),
            )
            .unwrap();
        }
    }
    fs::write(
        classes.join("f000/Loop.cls"),
        "public class Loop { void m(List<Account> a) { for (Account x : a) { update x; } } }",
    )
    .unwrap();
    let outcome = bounded(
        &[
            "lint",
            dir.path().to_str().unwrap(),
            "--format",
            "json",
            "--no-cache",
        ],
        120,
        4096,
    );
    assert_eq!(outcome.code, Some(1), "{}", outcome.stderr);
    let json: serde_json::Value = serde_json::from_str(&outcome.stdout).unwrap();
    assert_eq!(json["summary"]["files"], 100_001);
    assert_eq!(json["summary"]["findings"], 1);
}

#[test]
fn a_panic_is_one_line_asking_for_a_report() {
    let outcome = Command::new(env!("CARGO_BIN_EXE_lockgen"))
        .args(["rules"])
        .env("LOCKGEN_INTERNAL_PANIC", "1")
        .env_remove("RUST_BACKTRACE")
        .output()
        .unwrap();
    assert_eq!(outcome.status.code(), Some(2));
    let stderr = String::from_utf8(outcome.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.starts_with("lockgen: internal error: "), "{stderr}");
    assert!(stderr.contains("please report it"), "{stderr}");
    assert!(!stderr.contains("stack backtrace"), "{stderr}");

    let outcome = Command::new(env!("CARGO_BIN_EXE_lockgen"))
        .args(["rules"])
        .env("LOCKGEN_INTERNAL_PANIC", "1")
        .env("RUST_BACKTRACE", "1")
        .output()
        .unwrap();
    assert_eq!(outcome.status.code(), Some(2));
    let stderr = String::from_utf8(outcome.stderr).unwrap();
    assert!(
        stderr.contains("stack backtrace"),
        "RUST_BACKTRACE keeps the backtrace: {stderr}"
    );
}
