//! `lockgen lint --changed-since REF`: report only findings in the files changed since REF,
//! while the whole project is still analysed (like naming files). "Changed" is what a pull
//! request or a working branch holds: committed since the branch left REF (the merge base),
//! staged, unstaged, or new and not ignored. Deleted files have nothing to report.
//!
//! git runs as a subprocess, never through a shell; REF is checked so that it can never be read
//! as an option, and resolved to a commit before any other use. Nothing external runs: no
//! external diff, no textconv, and no optional lock or index refresh is written.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::project::Discovery;

#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum ChangedError {
    #[error("--changed-since: `{0}` is not a git revision")]
    #[diagnostic(
        code(lockgen::changed::bad_revision),
        help("give a branch, a tag or a commit: `--changed-since origin/main`")
    )]
    BadRevision(String),

    #[error("--changed-since: cannot run git: {0}")]
    #[diagnostic(
        code(lockgen::changed::no_git),
        help("install git, or lint without --changed-since")
    )]
    NoGit(String),

    #[error("--changed-since: {0} is not in a git repository")]
    #[diagnostic(code(lockgen::changed::not_a_repository))]
    NotARepository(String),

    #[error("--changed-since: unknown revision `{0}`")]
    #[diagnostic(
        code(lockgen::changed::unknown_revision),
        help("fetch it first (in CI: a checkout with enough history, `fetch-depth: 0`)")
    )]
    UnknownRevision(String),

    #[error("--changed-since: git failed: {0}")]
    #[diagnostic(code(lockgen::changed::git_failed))]
    Git(String),
}

/// Narrow the run's focus to the files changed since `reference` (within any focus already
/// given), and note how many there are.
pub fn narrow_focus(discovery: &mut Discovery, reference: &str) -> Result<(), ChangedError> {
    let changed = changed_files(&discovery.root, reference)?;
    discovery.notes.push(format!(
        "{} file{} changed since {reference}; reporting findings in {} only",
        changed.len(),
        if changed.len() == 1 { "" } else { "s" },
        if changed.len() == 1 { "it" } else { "them" },
    ));
    discovery.focus = Some(match discovery.focus.take() {
        None => changed,
        Some(focus) => changed
            .into_iter()
            .filter(|path| focus.iter().any(|f| within(path, f)))
            .collect(),
    });
    Ok(())
}

fn within(path: &str, focus: &str) -> bool {
    path == focus
        || path
            .strip_prefix(focus)
            .is_some_and(|rest| rest.starts_with('/'))
}

/// The files below `root` changed since `reference`, relative to `root` with `/`, sorted.
pub fn changed_files(root: &Path, reference: &str) -> Result<Vec<String>, ChangedError> {
    if !is_revision_shaped(reference) {
        return Err(ChangedError::BadRevision(escape(reference)));
    }
    let toplevel =
        git(root, &["rev-parse", "--show-toplevel"]).map_err(|failure| match failure {
            Failure::Spawn(e) => ChangedError::NoGit(e),
            Failure::Status(_) => ChangedError::NotARepository(root.display().to_string()),
        })?;
    let toplevel = PathBuf::from(String::from_utf8_lossy(&toplevel).trim_end_matches('\n'));
    let toplevel = std::fs::canonicalize(&toplevel).unwrap_or(toplevel);
    let commit = format!("{reference}^{{commit}}");
    let resolved = git(
        &toplevel,
        &[
            "rev-parse",
            "--verify",
            "--quiet",
            "--end-of-options",
            &commit,
        ],
    )
    .map_err(|_| ChangedError::UnknownRevision(escape(reference)))?;
    let resolved = String::from_utf8_lossy(&resolved).trim().to_string();
    // What the branch did since it left REF: from the merge base (REF itself when REF is an
    // ancestor); with no common history (or no HEAD yet), REF itself.
    let base = git(&toplevel, &["merge-base", &resolved, "HEAD"])
        .map(|out| String::from_utf8_lossy(&out).trim().to_string())
        .unwrap_or(resolved);
    let diff = git(
        &toplevel,
        &[
            "diff",
            "--name-only",
            "-z",
            "--no-renames",
            "--no-ext-diff",
            "--no-textconv",
            "--diff-filter=d",
            &base,
            "--",
        ],
    )
    .map_err(Failure::into_git)?;
    let untracked = git(
        &toplevel,
        &[
            "ls-files",
            "-z",
            "--others",
            "--exclude-standard",
            "--full-name",
        ],
    )
    .map_err(Failure::into_git)?;
    let mut files: Vec<String> = diff
        .split(|&b| b == 0)
        .chain(untracked.split(|&b| b == 0))
        .filter(|name| !name.is_empty())
        .filter_map(|name| {
            let path = toplevel.join(String::from_utf8_lossy(name).as_ref());
            let rel = path.strip_prefix(root).ok()?;
            let parts: Vec<String> = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            (!parts.is_empty()).then(|| parts.join("/"))
        })
        .collect();
    files.sort();
    files.dedup();
    Ok(files)
}

/// A revision as a person writes one (`main`, `origin/main`, `v1.2`, `HEAD~3`, a hash), never
/// something git could take for an option or that could hold a control character.
fn is_revision_shaped(reference: &str) -> bool {
    !reference.is_empty()
        && reference.len() <= 256
        && !reference.starts_with('-')
        && !reference.chars().any(char::is_control)
}

fn escape(text: &str) -> String {
    text.chars().flat_map(char::escape_debug).collect()
}

enum Failure {
    Spawn(String),
    Status(String),
}

impl Failure {
    fn into_git(self) -> ChangedError {
        match self {
            Failure::Spawn(e) => ChangedError::NoGit(e),
            Failure::Status(e) => ChangedError::Git(e),
        }
    }
}

/// Run git in `dir` with these arguments; its stdout, or why not.
fn git(dir: &Path, args: &[&str]) -> Result<Vec<u8>, Failure> {
    let output = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_OPTIONAL_LOCKS", "0")
        .env("GIT_TERMINAL_PROMPT", "0")
        .stdin(Stdio::null())
        .output()
        .map_err(|e| Failure::Spawn(e.to_string()))?;
    if output.status.success() {
        Ok(output.stdout)
    } else {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let first = stderr.lines().next().unwrap_or("").trim();
        Err(Failure::Status(escape(first)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn revisions_that_could_be_options_are_refused() {
        assert!(is_revision_shaped("origin/main"));
        assert!(is_revision_shaped("HEAD~3"));
        assert!(!is_revision_shaped("--output=/tmp/x"));
        assert!(!is_revision_shaped("-p"));
        assert!(!is_revision_shaped(""));
        assert!(!is_revision_shaped("main\nx"));
    }

    #[test]
    fn focus_within() {
        assert!(within("force-app/a.cls", "force-app"));
        assert!(within("force-app/a.cls", "force-app/a.cls"));
        assert!(!within("force-apps/a.cls", "force-app"));
    }
}
