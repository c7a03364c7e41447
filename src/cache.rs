//! The on-disk cache that makes a re-lint of an unchanged project near-instant: per-file parse
//! results keyed by content hash, and the findings of the last run keyed by every file's hash
//! and the rules that ran. Both carry lockgen's version; a missing, corrupt or foreign cache is
//! ignored and rebuilt, and never changes a result.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::apex::Span;
use crate::index::Parsed;
use crate::rules::Severity;
use crate::suppress::Scope;

/// Bumped whenever what is cached changes shape.
const SCHEMA: u32 = 2;

/// Refuse to read a cache file larger than this: it cannot be ours.
const MAX_CACHE_BYTES: u64 = 1 << 30;

fn stamp() -> String {
    format!("lockgen-cache {SCHEMA} {}", env!("CARGO_PKG_VERSION"))
}

/// Where a project's cache lives: `$XDG_CACHE_HOME/lockgen/<hash of the root>/` when that is
/// set, else `.lockgen/cache/` in the project root.
#[derive(Debug, Clone)]
pub struct CacheDir {
    dir: PathBuf,
}

impl CacheDir {
    pub fn for_root(root: &Path) -> CacheDir {
        let dir = match std::env::var_os("XDG_CACHE_HOME").filter(|v| !v.is_empty()) {
            Some(base) => {
                let key = xxhash_rust::xxh3::xxh3_64(root.to_string_lossy().as_bytes());
                PathBuf::from(base)
                    .join("lockgen")
                    .join(format!("{key:016x}"))
            }
            None => root.join(".lockgen").join("cache"),
        };
        CacheDir { dir }
    }

    fn read<T: DeserializeOwned>(&self, name: &str) -> Option<T> {
        let path = self.dir.join(name);
        let size = std::fs::metadata(&path).ok()?.len();
        if size > MAX_CACHE_BYTES {
            return None;
        }
        let bytes = std::fs::read(path).ok()?;
        postcard::from_bytes(&bytes).ok()
    }

    /// Write atomically (a temporary file renamed into place); failures are ignored: a cache
    /// that cannot be written is only a slower next run.
    fn write<T: Serialize>(&self, name: &str, value: &T) {
        let Ok(bytes) = postcard::to_allocvec(value) else {
            return;
        };
        if std::fs::create_dir_all(&self.dir).is_err() {
            return;
        }
        let ignore = self.dir.join(".gitignore");
        if !ignore.exists() {
            let _ = std::fs::write(&ignore, "# lockgen's cache: never commit it\n*\n");
        }
        // Unique per process and write: concurrent runs (and test threads) never share one.
        static WRITES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let sequence = WRITES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let temporary = self
            .dir
            .join(format!(".{name}.{}.{sequence}.tmp", std::process::id()));
        if std::fs::write(&temporary, bytes).is_ok()
            && std::fs::rename(&temporary, self.dir.join(name)).is_err()
        {
            let _ = std::fs::remove_file(&temporary);
        }
    }
}

// ---- parse results ----

#[derive(Serialize, Deserialize)]
struct ModelFile {
    stamp: String,
    entries: Vec<ModelEntry>,
}

#[derive(Serialize, Deserialize)]
struct ModelEntry {
    path: String,
    hash: u64,
    parsed: Parsed,
}

#[derive(Serialize)]
struct ModelFileRef<'a> {
    stamp: String,
    entries: Vec<ModelEntryRef<'a>>,
}

#[derive(Serialize)]
struct ModelEntryRef<'a> {
    path: &'a str,
    hash: u64,
    parsed: &'a Parsed,
}

const MODELS: &str = "models.bin";

/// Parse results from the last run, by path and content hash.
#[derive(Default)]
pub struct ModelCache {
    dir: Option<CacheDir>,
    entries: HashMap<(String, u64), Parsed>,
}

impl ModelCache {
    pub fn disabled() -> ModelCache {
        ModelCache::default()
    }

    pub fn load(dir: CacheDir) -> ModelCache {
        let entries = dir
            .read::<ModelFile>(MODELS)
            .filter(|file| file.stamp == stamp())
            .map(|file| {
                file.entries
                    .into_iter()
                    .map(|e| ((e.path, e.hash), e.parsed))
                    .collect()
            })
            .unwrap_or_default();
        ModelCache {
            dir: Some(dir),
            entries,
        }
    }

    /// Take the cached result for a file whose content has this hash.
    pub fn take(&mut self, path: &str, hash: u64) -> Option<Parsed> {
        self.entries.remove(&(path.to_string(), hash))
    }

    /// Store this run's results (replacing the file: entries of deleted files go away).
    pub fn save(&self, entries: &[(&str, u64, &Parsed)]) {
        let Some(dir) = &self.dir else { return };
        let file = ModelFileRef {
            stamp: stamp(),
            entries: entries
                .iter()
                .map(|(path, hash, parsed)| ModelEntryRef {
                    path,
                    hash: *hash,
                    parsed,
                })
                .collect(),
        };
        dir.write(MODELS, &file);
    }

    pub fn enabled(&self) -> bool {
        self.dir.is_some()
    }

    /// Entries no file took: files deleted or changed since the cache was written.
    pub fn has_leftovers(&self) -> bool {
        !self.entries.is_empty()
    }
}

// ---- findings ----

/// A finding as data, by file path and rule code, before settings, suppressions and filters.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CachedFinding {
    pub rule: String,
    pub severity: Severity,
    pub path: String,
    pub span: Span,
    pub message: String,
    pub help: Option<String>,
    pub object: Option<String>,
    pub related: Vec<(String, Span, String)>,
    pub fingerprint_base: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CachedSuppression {
    pub path: String,
    pub span: Span,
    pub codes: Vec<String>,
    pub scope: CachedScope,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum CachedScope {
    Line(usize),
    Range(Span),
}

impl From<&Scope> for CachedScope {
    fn from(scope: &Scope) -> Self {
        match scope {
            Scope::Line(line) => CachedScope::Line(*line),
            Scope::Range(span) => CachedScope::Range(*span),
        }
    }
}

impl From<&CachedScope> for Scope {
    fn from(scope: &CachedScope) -> Self {
        match scope {
            CachedScope::Line(line) => Scope::Line(*line),
            CachedScope::Range(span) => Scope::Range(*span),
        }
    }
}

/// Everything the last run found, for one exact set of inputs.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Results {
    pub findings: Vec<CachedFinding>,
    pub suppressions: Vec<CachedSuppression>,
    /// `(path, span, given)` of suppressions naming unknown rules.
    pub unknown_codes: Vec<(String, Span, String)>,
}

#[derive(Serialize, Deserialize)]
struct ResultsFile {
    stamp: String,
    key: u64,
    results: Results,
}

const RESULTS: &str = "results.bin";

/// The key of a run's results: lockgen's version, the rules that ran, and every file's path and
/// content hash, in order.
pub fn results_key(rules: &[&str], files: &[(&str, u64)]) -> u64 {
    let mut hasher = xxhash_rust::xxh3::Xxh3::new();
    hasher.update(stamp().as_bytes());
    for rule in rules {
        hasher.update(rule.as_bytes());
        hasher.update(&[0]);
    }
    for (path, hash) in files {
        hasher.update(path.as_bytes());
        hasher.update(&[0]);
        hasher.update(&hash.to_le_bytes());
    }
    hasher.digest()
}

pub fn load_results(dir: &CacheDir, key: u64) -> Option<Results> {
    dir.read::<ResultsFile>(RESULTS)
        .filter(|file| file.stamp == stamp() && file.key == key)
        .map(|file| file.results)
}

pub fn save_results(dir: &CacheDir, key: u64, results: Results) {
    dir.write(
        RESULTS,
        &ResultsFile {
            stamp: stamp(),
            key,
            results,
        },
    );
}
