//! Shared helpers for the integration tests: run lockgen in-process, build projects on disk.

// Each test binary uses a different subset of these helpers.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::fs;
use std::path::{Path, PathBuf};

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "invalid JSON ({e}):\n{}\nstderr: {}",
                self.stdout, self.stderr
            )
        })
    }

    /// `(rule, path, line)` of every finding in a JSON run.
    pub fn findings(&self) -> Vec<(String, String, u64)> {
        self.json()["findings"]
            .as_array()
            .expect("findings array")
            .iter()
            .map(|f| {
                (
                    f["rule"].as_str().unwrap().to_string(),
                    f["path"].as_str().unwrap().to_string(),
                    f["line"].as_u64().unwrap(),
                )
            })
            .collect()
    }
}

/// Run lockgen in-process with these arguments (without the program name).
pub fn lockgen<S: AsRef<str>>(args: &[S]) -> Run {
    let mut argv = vec!["lockgen".to_string()];
    argv.extend(args.iter().map(|a| a.as_ref().to_string()));
    let mut out = Vec::new();
    let mut err = Vec::new();
    let code = lockgen::run_with_args(argv, &mut out, &mut err);
    Run {
        code,
        stdout: String::from_utf8(out).expect("stdout is UTF-8"),
        stderr: String::from_utf8(err).expect("stderr is UTF-8"),
    }
}

pub fn repo_path(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(relative)
}

pub fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// A fresh temporary project holding a fixture: a folder's contents, or a single file.
pub fn materialize(fixture: &Path) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    if fixture.is_dir() {
        copy_dir(fixture, dir.path());
    } else {
        fs::copy(fixture, dir.path().join(fixture.file_name().unwrap())).unwrap();
    }
    dir
}

/// Write `files` (relative path → content) under a new temporary folder.
pub fn project(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (path, content) in files {
        let target = dir.path().join(path);
        fs::create_dir_all(target.parent().unwrap()).unwrap();
        fs::write(target, content).unwrap();
    }
    dir
}

pub const SFDX_PROJECT: &str = r#"{"packageDirectories": [{"path": "force-app", "default": true}], "sourceApiVersion": "61.0"}"#;

pub fn path_str(path: &Path) -> String {
    path.to_str().unwrap().to_string()
}
