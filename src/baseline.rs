//! Fingerprints that survive moved lines, and the baseline file that records today's findings
//! so that CI fails only on new ones.

use std::collections::HashMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::index::{FileId, Project};
use crate::rules::Finding;
use crate::safe_fs::{self, Folder};

/// The baseline file format this lockgen writes and reads.
pub const FORMAT: u32 = 1;

#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum BaselineError {
    #[error("cannot read baseline {path}: {source}")]
    #[diagnostic(code(lockgen::baseline::unreadable))]
    Unreadable {
        path: String,
        #[source]
        source: std::io::Error,
    },

    #[error("{path} is not a lockgen baseline: {message}")]
    #[diagnostic(code(lockgen::baseline::invalid))]
    Invalid { path: String, message: String },

    #[error(
        "{path} was written by lockgen {written_by} in baseline format {format}; this lockgen reads format {FORMAT}: upgrade lockgen, or rewrite the baseline with --write-baseline"
    )]
    #[diagnostic(code(lockgen::baseline::version))]
    Newer {
        path: String,
        format: u32,
        written_by: String,
    },

    #[error("cannot write baseline {path}: {source}")]
    #[diagnostic(code(lockgen::baseline::write))]
    Write {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

#[derive(Debug, Serialize, Deserialize)]
struct BaselineFile {
    format: u32,
    lockgen: String,
    findings: Vec<Entry>,
}

/// One recorded finding; only the fingerprint is matched, the rest is for people reading it.
#[derive(Debug, Serialize, Deserialize)]
struct Entry {
    fingerprint: String,
    rule: String,
    path: String,
    message: String,
}

/// Lines longer than this enter a fingerprint as a digest of their normalised text, computed
/// once per line, rather than as the text itself: fingerprints of ordinary lines stay what they
/// always were, and a megabyte-long line with thousands of findings costs one pass, not one per
/// finding.
const LONG_LINE: usize = 4096;

/// Set each finding's fingerprint base: the hash of the rule, the path, the enclosing class or
/// method and the whitespace-normalised text of the primary line (not its number), so it
/// survives moved lines. Each line's text is normalised once, however many findings it holds.
pub fn set_fingerprint_bases(project: &Project, findings: &mut [Finding]) {
    let mut lines: HashMap<(FileId, usize), String> = HashMap::new();
    for finding in findings {
        let source = project.file(finding.file);
        let line = source.lines.line_of(finding.span.start);
        let text = lines.entry((finding.file, line)).or_insert_with(|| {
            let raw = source
                .lines
                .line_span(&source.text, line)
                .map_or("", |s| &source.text[s.start as usize..s.end as usize]);
            let normalized = raw.split_whitespace().collect::<Vec<_>>().join(" ");
            if normalized.len() > LONG_LINE {
                format!("blake3:{}", blake3::hash(normalized.as_bytes()).to_hex())
            } else {
                normalized
            }
        });
        let enclosing = project
            .enclosing_symbol(finding.file, finding.span.start)
            .unwrap_or_default();
        finding.fingerprint_base = fnv1a(&[finding.rule.code, &source.path, &enclosing, text]);
    }
}

/// Fingerprints of findings in output order: the base hash, then `:2`, `:3` … for repeats.
pub fn fingerprints(findings: &[Finding]) -> Vec<String> {
    let mut seen: HashMap<u64, usize> = HashMap::new();
    findings
        .iter()
        .map(|finding| {
            let hash = finding.fingerprint_base;
            let count = seen.entry(hash).or_insert(0);
            *count += 1;
            if *count == 1 {
                format!("{hash:016x}")
            } else {
                format!("{hash:016x}:{count}")
            }
        })
        .collect()
}

/// FNV-1a (64 bit) over the parts, separated: stable across platforms and versions.
fn fnv1a(parts: &[&str]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for byte in part.bytes().chain(std::iter::once(0)) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    hash
}

/// Write the baseline all or nothing (a temporary file renamed into place). Inside the project,
/// no folder on the way and no link at `path` is followed.
pub fn write(
    path: &Path,
    root: &Path,
    project: &Project,
    findings: &[Finding],
    fingerprints: &[String],
) -> Result<(), BaselineError> {
    let file = BaselineFile {
        format: FORMAT,
        lockgen: env!("CARGO_PKG_VERSION").to_string(),
        findings: findings
            .iter()
            .zip(fingerprints)
            .map(|(finding, fingerprint)| Entry {
                fingerprint: fingerprint.clone(),
                rule: finding.rule.code.to_string(),
                path: project.path(finding.file).to_string(),
                message: finding.message.clone(),
            })
            .collect(),
    };
    let error = |source| BaselineError::Write {
        path: path.display().to_string(),
        source,
    };
    let mut text =
        serde_json::to_string_pretty(&file).map_err(|e| error(std::io::Error::other(e)))?;
    text.push('\n');
    let (folder, name) = Folder::for_file(path, root).map_err(error)?;
    folder
        .write_atomic(&name, text.as_bytes(), "lockgen-tmp")
        .map_err(error)
}

/// The fingerprints recorded in a baseline, each as often as it was recorded.
pub struct Baseline {
    counts: HashMap<String, usize>,
}

impl Baseline {
    /// Read a baseline (at most 64 MB; a UTF-8 byte-order mark is fine). Inside the project
    /// `root`, a link that leads outside it is not read.
    pub fn read(path: &Path, root: &Path) -> Result<Baseline, BaselineError> {
        let shown = path.display().to_string();
        let unreadable = |source| BaselineError::Unreadable {
            path: shown.clone(),
            source,
        };
        if safe_fs::absolute(path).is_ok_and(|p| p.starts_with(root))
            && safe_fs::leads_outside(root, path)
        {
            return Err(unreadable(std::io::Error::other(
                "a symbolic link that leads outside the project; not read",
            )));
        }
        let text = safe_fs::read_text_capped(path, safe_fs::MAX_BASELINE_BYTES)
            .map_err(|e| unreadable(e.into()))?;
        let value: serde_json::Value =
            serde_json::from_str(&text).map_err(|e| BaselineError::Invalid {
                path: shown.clone(),
                message: e.to_string(),
            })?;
        let format = value
            .get("format")
            .and_then(serde_json::Value::as_u64)
            .ok_or_else(|| BaselineError::Invalid {
                path: shown.clone(),
                message: "no `format` number".to_string(),
            })?;
        if format > u64::from(FORMAT) {
            return Err(BaselineError::Newer {
                path: shown,
                format: u32::try_from(format).unwrap_or(u32::MAX),
                written_by: value
                    .get("lockgen")
                    .and_then(serde_json::Value::as_str)
                    .unwrap_or("unknown")
                    .to_string(),
            });
        }
        let file: BaselineFile =
            serde_json::from_value(value).map_err(|e| BaselineError::Invalid {
                path: shown,
                message: e.to_string(),
            })?;
        let mut counts = HashMap::new();
        for entry in file.findings {
            *counts.entry(entry.fingerprint).or_insert(0) += 1;
        }
        Ok(Baseline { counts })
    }

    /// Which findings are new (`true`), consuming one recorded entry per match.
    pub fn new_findings(mut self, fingerprints: &[String]) -> Vec<bool> {
        fingerprints
            .iter()
            .map(|fingerprint| match self.counts.get_mut(fingerprint) {
                Some(count) if *count > 0 => {
                    *count -= 1;
                    false
                }
                _ => true,
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv_is_stable() {
        assert_eq!(fnv1a(&[]), 0xcbf2_9ce4_8422_2325);
        assert_eq!(
            format!("{:016x}", fnv1a(&["LCK004", "a.cls"])),
            format!("{:016x}", fnv1a(&["LCK004", "a.cls"]))
        );
        assert_ne!(fnv1a(&["ab", "c"]), fnv1a(&["a", "bc"]));
    }
}
