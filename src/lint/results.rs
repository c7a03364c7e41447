//! A run's results as the cache keeps them, between analysis and filtering: the findings the
//! rules returned (with their fingerprint bases) and the suppressions written in the source, by
//! path. A warm run of an unchanged project takes them instead of parsing and analysing; the
//! settings, suppressions, focus and baseline of the run then apply as usual.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::apex::Span;
use crate::cache::Store;
use crate::index::{FileId, Project, RawFile};
use crate::project::Discovery;
use crate::rules::{Finding, Related, Rule, Severity, registry};
use crate::suppress::{SavedSuppressions, Suppressions};

const NAME: &str = "results.bin";

#[derive(Serialize, Deserialize)]
struct SavedFinding {
    rule: String,
    severity: Severity,
    path: String,
    span: Span,
    message: String,
    help: Option<String>,
    object: Option<String>,
    related: Vec<(String, Span, String)>,
    fingerprint_base: u64,
}

#[derive(Serialize, Deserialize)]
struct Saved {
    findings: Vec<SavedFinding>,
    suppressions: SavedSuppressions,
}

/// What the results are stored under: lockgen's version, the rules that ran, and every file's
/// path and content hash, in order. Any change to any of them is a different key.
pub fn key(rules: &[&'static dyn Rule], discovery: &Discovery, raw: &[RawFile]) -> Vec<u8> {
    // This build's sources: a rebuilt lockgen with other rules finds none of these results.
    key_of_build(crate::cache::BUILD_ID, rules, discovery, raw)
}

fn key_of_build(
    build: &str,
    rules: &[&'static dyn Rule],
    discovery: &Discovery,
    raw: &[RawFile],
) -> Vec<u8> {
    let mut hasher = blake3::Hasher::new();
    hasher.update(concat!("results 1 ", env!("CARGO_PKG_VERSION")).as_bytes());
    hasher.update(build.as_bytes());
    hasher.update(&[0]);
    for rule in rules {
        hasher.update(rule.meta().code.as_bytes());
        hasher.update(&[0]);
    }
    for (file, raw) in discovery.files.iter().zip(raw) {
        hasher.update(file.path.as_bytes());
        hasher.update(&[0]);
        hasher.update(&raw.hash.to_le_bytes());
    }
    hasher.finalize().as_bytes().to_vec()
}

/// The last run's results for exactly these inputs, if the cache holds them.
pub fn load(
    store: &Store,
    key: &[u8],
    discovery: &Discovery,
) -> Option<(Vec<Finding>, Suppressions)> {
    let bytes = store.get(NAME, key)?;
    let saved: Saved = postcard::from_bytes(&bytes).ok()?;
    // File ids are positions in the inventory, as in the project built from it.
    let files: HashMap<&str, FileId> = discovery
        .files
        .iter()
        .enumerate()
        .map(|(index, file)| (file.path.as_str(), FileId(index as u32)))
        .collect();
    let findings = saved
        .findings
        .iter()
        .filter_map(|saved| {
            let rule = registry::find(&saved.rule)?.meta();
            let mut finding = Finding::new(
                rule,
                *files.get(saved.path.as_str())?,
                saved.span,
                saved.message.clone(),
            );
            finding.severity = saved.severity;
            finding.help = saved.help.clone();
            finding.object = saved.object.clone();
            finding.fingerprint_base = saved.fingerprint_base;
            finding.related = saved
                .related
                .iter()
                .filter_map(|(path, span, message)| {
                    Some(Related {
                        file: *files.get(path.as_str())?,
                        span: *span,
                        message: message.clone(),
                    })
                })
                .collect();
            Some(finding)
        })
        .collect();
    Some((findings, Suppressions::restore(&saved.suppressions, &files)))
}

/// Keep this run's results for the next run.
pub fn save(
    store: &Store,
    key: &[u8],
    project: &Project,
    findings: &[Finding],
    suppressions: &Suppressions,
) {
    let saved = Saved {
        findings: findings
            .iter()
            .map(|f| SavedFinding {
                rule: f.rule.code.to_string(),
                severity: f.severity,
                path: project.path(f.file).to_string(),
                span: f.span,
                message: f.message.clone(),
                help: f.help.clone(),
                object: f.object.clone(),
                related: f
                    .related
                    .iter()
                    .map(|r| (project.path(r.file).to_string(), r.span, r.message.clone()))
                    .collect(),
                fingerprint_base: f.fingerprint_base,
            })
            .collect(),
        suppressions: suppressions.save(project),
    };
    if let Ok(bytes) = postcard::to_allocvec(&saved) {
        store.put(NAME, key, &bytes);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two builds of one version (other rule code, same `CARGO_PKG_VERSION`) never share
    /// results.
    #[test]
    fn the_key_names_the_build() {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(
            dir.path().join("sfdx-project.json"),
            r#"{"packageDirectories": [{"path": "force-app"}]}"#,
        )
        .expect("write");
        let classes = dir.path().join("force-app/classes");
        std::fs::create_dir_all(&classes).expect("mkdir");
        std::fs::write(classes.join("A.cls"), "public class A {}").expect("write");
        let discovery = crate::project::discover(&[dir.path().to_path_buf()]).expect("discover");
        let raw = crate::index::read(&discovery).expect("read");
        let rules: Vec<&'static dyn Rule> = registry::all().collect();
        let ours = key(&rules, &discovery, &raw);
        assert_eq!(
            ours,
            key_of_build(crate::cache::BUILD_ID, &rules, &discovery, &raw)
        );
        assert_ne!(
            ours,
            key_of_build("another build", &rules, &discovery, &raw)
        );
    }
}
