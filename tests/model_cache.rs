//! The parse-result cache in segments (`src/index/model_cache.rs`): editing one file adds a
//! small entry of its own instead of rewriting every result; the entries are merged now and
//! then; a damaged, forged or foreign entry changes no output.

#![cfg(unix)]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::SFDX_PROJECT;

const CLASSES: &str = "force-app/main/default/classes";

/// A project of 40 classes, each with DML in a loop, and a home folder (the user's key).
fn project() -> (tempfile::TempDir, tempfile::TempDir) {
    let mut files = vec![("sfdx-project.json".to_string(), SFDX_PROJECT.to_string())];
    for i in 0..40 {
        files.push((
            format!("{CLASSES}/Filler{i}.cls"),
            format!(
                "public class Filler{i} {{\n{}}}\n",
                (0..10)
                    .map(|m| format!(
                        "    public void m{m}(List<Account> l) {{ for (Account a : l) {{ update a; }} }}\n"
                    ))
                    .collect::<String>()
            ),
        ));
    }
    let refs: Vec<(&str, &str)> = files
        .iter()
        .map(|(p, c)| (p.as_str(), c.as_str()))
        .collect();
    (common::project(&refs), tempfile::tempdir().unwrap())
}

fn lint(root: &Path, home: &Path, cache: bool) -> String {
    let mut command = Command::new(env!("CARGO_BIN_EXE_lockgen"));
    command
        .args(["lint", root.to_str().unwrap(), "--format", "json"])
        .args(["--fail-on", "never"])
        .env("HOME", home)
        .env_remove("XDG_CACHE_HOME");
    if !cache {
        command.arg("--no-cache");
    }
    let output = command.output().unwrap();
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    String::from_utf8(output.stdout).unwrap()
}

fn deltas(cache: &Path) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = fs::read_dir(cache)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy();
            name.starts_with("models-") && name.ends_with(".bin")
        })
        .collect();
    found.sort();
    found
}

fn edit(root: &Path, i: usize, n: usize) {
    let path = root.join(CLASSES).join(format!("Filler{i}.cls"));
    let mut text = fs::read_to_string(&path).unwrap();
    text.push_str(&format!("// edit {n}\n"));
    fs::write(path, text).unwrap();
}

#[test]
fn editing_one_file_adds_a_small_entry_and_entries_are_merged_later() {
    let (dir, home) = project();
    let root = dir.path();
    let cache = root.join(".lockgen/cache");
    let cold = lint(root, home.path(), false);
    assert_eq!(lint(root, home.path(), true), cold);
    let base = fs::read(cache.join("models.bin")).unwrap();
    assert!(deltas(&cache).is_empty());

    // Each edit: the output of a cold run, the base untouched, one small entry more.
    for n in 1..=8 {
        edit(root, n, n);
        let cold = lint(root, home.path(), false);
        assert_eq!(lint(root, home.path(), true), cold, "edit {n}");
        assert_eq!(
            fs::read(cache.join("models.bin")).unwrap(),
            base,
            "edit {n}"
        );
        let found = deltas(&cache);
        assert_eq!(found.len(), n, "edit {n}");
        for delta in found {
            assert!(fs::metadata(delta).unwrap().len() * 10 < base.len() as u64);
        }
    }
    // A ninth: the entries are merged into a new base, the others go.
    edit(root, 9, 9);
    let cold = lint(root, home.path(), false);
    assert_eq!(lint(root, home.path(), true), cold);
    assert!(deltas(&cache).is_empty(), "{:?}", deltas(&cache));
    assert_ne!(fs::read(cache.join("models.bin")).unwrap(), base);
    // And they serve the next run.
    fs::remove_file(cache.join("results.bin")).unwrap();
    assert_eq!(lint(root, home.path(), true), cold);
}

#[test]
fn a_damaged_forged_or_planted_entry_changes_no_output() {
    let (dir, home) = project();
    let root = dir.path();
    let cache = root.join(".lockgen/cache");
    lint(root, home.path(), true);
    edit(root, 0, 1);
    let cold = lint(root, home.path(), false);
    assert_eq!(lint(root, home.path(), true), cold);
    let delta = deltas(&cache).pop().unwrap();
    let good = fs::read(&delta).unwrap();

    let mut cases: Vec<(&str, Vec<u8>)> = Vec::new();
    for at in [0, 9, 50, 70, good.len() / 2, good.len() - 1] {
        let mut flipped = good.clone();
        flipped[at] ^= 0x10;
        cases.push(("a bit flip", flipped));
    }
    cases.push(("truncated", good[..good.len() / 2].to_vec()));
    let mut edited = good.clone();
    let from = b"Account";
    let at = edited
        .windows(from.len())
        .position(|w| w == from)
        .expect("the entry names Account");
    edited[at..at + from.len()].copy_from_slice(b"Contact");
    cases.push(("an edit", edited));
    cases.push(("garbage", b"lockgen\x02 not an entry".to_vec()));
    for (what, bytes) in cases {
        fs::write(&delta, &bytes).unwrap();
        // A planted entry of its own name too.
        fs::write(cache.join("models-0123456789abcdef.bin"), &bytes).unwrap();
        // Without the findings, so the parse results are what the run uses.
        let _ = fs::remove_file(cache.join("results.bin"));
        assert_eq!(lint(root, home.path(), true), cold, "{what}");
    }
}

#[test]
fn another_users_entries_are_not_read() {
    let (dir, home) = project();
    let root = dir.path();
    let cache = root.join(".lockgen/cache");
    lint(root, home.path(), true);
    edit(root, 0, 1);
    let cold = lint(root, home.path(), false);
    lint(root, home.path(), true);
    // The same project and cache, another user (another key): every entry fails its check,
    // and the output is still the cold run's.
    let stranger = tempfile::tempdir().unwrap();
    fs::remove_file(cache.join("results.bin")).unwrap();
    assert_eq!(lint(root, stranger.path(), true), cold);
}
