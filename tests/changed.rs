//! `lockgen lint --changed-since REF` on real git repositories: only files changed since REF are
//! reported (committed on the branch, staged, unstaged, new), the whole project is analysed, and
//! the errors are one line with exit code 2.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;
use std::process::Command;

use common::{SFDX_PROJECT, copy_dir, lockgen, path_str, repo_path};

fn git(dir: &Path, args: &[&str]) -> String {
    let output = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@lockgen.invalid")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@lockgen.invalid")
        .output()
        .expect("git runs");
    assert!(output.status.success(), "git {args:?}: {output:?}");
    String::from_utf8(output.stdout).unwrap().trim().to_string()
}

const LOOP: &str =
    "public class X { void m(List<Account> a) { for (Account x : a) { update x; } } }\n";

/// The example org on `main`, then a branch `feature`.
fn repository() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&repo_path("examples/acme-billing"), dir.path());
    git(dir.path(), &["init", "--quiet", "--initial-branch=main"]);
    git(dir.path(), &["add", "-A"]);
    git(dir.path(), &["commit", "--quiet", "-m", "base"]);
    git(dir.path(), &["checkout", "--quiet", "-b", "feature"]);
    dir
}

fn reported_paths(args: &[&str]) -> (i32, Vec<String>, String) {
    let mut all = vec!["lint", "--format", "json", "--no-cache"];
    all.extend_from_slice(args);
    let run = lockgen(&all);
    let mut paths: Vec<String> = if run.code < 2 {
        run.findings()
            .into_iter()
            .map(|(_, path, _)| path)
            .collect()
    } else {
        Vec::new()
    };
    paths.dedup();
    (run.code, paths, run.stderr)
}

#[test]
fn only_files_changed_since_the_branch_point_are_reported() {
    let repo = repository();
    let root = repo.path();
    let classes = root.join("force-app/main/default/classes");
    // Committed on the branch, unstaged, and new (untracked) changes all count.
    std::fs::write(
        classes.join("Committed.cls"),
        LOOP.replace("class X", "class Committed"),
    )
    .unwrap();
    git(root, &["add", "-A"]);
    git(root, &["commit", "--quiet", "-m", "feature work"]);
    std::fs::write(
        classes.join("Untracked.cls"),
        LOOP.replace("class X", "class Untracked"),
    )
    .unwrap();
    let service = classes.join("InvoiceService.cls");
    let text = std::fs::read_to_string(&service).unwrap();
    std::fs::write(&service, text.replace("'Posted';", "'Posted'; // edited")).unwrap();

    let (code, paths, stderr) = reported_paths(&[&path_str(root), "--changed-since", "main"]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(
        paths,
        [
            "force-app/main/default/classes/Committed.cls",
            "force-app/main/default/classes/InvoiceService.cls",
            "force-app/main/default/classes/Untracked.cls",
        ]
    );
    assert!(stderr.contains("3 files changed since main"), "{stderr}");

    // Nothing changed since HEAD's own commit for the committed file: the others remain.
    let (_, paths, _) = reported_paths(&[&path_str(root), "--changed-since", "HEAD"]);
    assert!(
        !paths.iter().any(|p| p.ends_with("Committed.cls")),
        "{paths:?}"
    );

    // With a path too: the intersection.
    let (_, paths, _) = reported_paths(&[&path_str(&service), "--changed-since", "main"]);
    assert_eq!(paths, ["force-app/main/default/classes/InvoiceService.cls"]);
}

#[test]
fn a_project_below_the_repository_root() {
    let dir = tempfile::tempdir().unwrap();
    let project = dir.path().join("salesforce");
    std::fs::create_dir_all(project.join("force-app/classes")).unwrap();
    std::fs::write(project.join("sfdx-project.json"), SFDX_PROJECT).unwrap();
    std::fs::write(
        project.join("force-app/classes/A.cls"),
        LOOP.replace("class X", "class A"),
    )
    .unwrap();
    git(dir.path(), &["init", "--quiet", "--initial-branch=main"]);
    git(dir.path(), &["add", "-A"]);
    git(dir.path(), &["commit", "--quiet", "-m", "base"]);
    std::fs::write(
        project.join("force-app/classes/B.cls"),
        LOOP.replace("class X", "class B"),
    )
    .unwrap();
    let (code, paths, stderr) = reported_paths(&[&path_str(&project), "--changed-since", "main"]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(paths, ["force-app/classes/B.cls"]);
}

#[test]
fn errors_are_one_line_with_exit_code_2() {
    let repo = repository();
    let root = path_str(repo.path());
    for (reference, expected) in [
        ("--output=/tmp/x", "is not a git revision"),
        ("-p", "is not a git revision"),
        ("no-such-branch", "unknown revision `no-such-branch`"),
    ] {
        let run = lockgen(&["lint", &root, &format!("--changed-since={reference}")]);
        assert_eq!(run.code, 2, "{reference}: {}", run.stderr);
        assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
        assert!(run.stderr.contains(expected), "{}", run.stderr);
    }
    let plain = tempfile::tempdir().unwrap();
    copy_dir(&repo_path("examples/acme-billing"), plain.path());
    let run = lockgen(&["lint", &path_str(plain.path()), "--changed-since", "main"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("is not in a git repository"),
        "{}",
        run.stderr
    );
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
}
