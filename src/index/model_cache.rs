//! Parse results kept between runs: each file's [`Parsed`] by path and content hash. This module
//! owns their serialized form; the cache only stores the bytes.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::Parsed;
use crate::cache::Store;

const NAME: &str = "models.bin";

/// Bumped whenever [`Parsed`] changes shape: its bytes are not self-describing.
const SCHEMA: u32 = 3;

/// What the entry is stored under: the schema and lockgen's version.
fn key() -> String {
    format!("models {SCHEMA} {}", env!("CARGO_PKG_VERSION"))
}

#[derive(Deserialize)]
struct Entry {
    path: String,
    hash: u128,
    parsed: Parsed,
}

#[derive(Serialize)]
struct EntryRef<'a> {
    path: &'a str,
    hash: u128,
    parsed: &'a Parsed,
}

/// Parse results from the last run, by path and content hash.
#[derive(Default)]
pub struct ModelCache<'s> {
    store: Option<&'s Store>,
    entries: HashMap<(String, u128), Parsed>,
}

impl<'s> ModelCache<'s> {
    pub fn disabled() -> ModelCache<'static> {
        ModelCache::default()
    }

    pub fn load(store: &'s Store) -> ModelCache<'s> {
        let entries = store
            .get(NAME, key().as_bytes())
            .and_then(|bytes| postcard::from_bytes::<Vec<Entry>>(&bytes).ok())
            .map(|entries| {
                entries
                    .into_iter()
                    .map(|e| ((e.path, e.hash), e.parsed))
                    .collect()
            })
            .unwrap_or_default();
        ModelCache {
            store: Some(store),
            entries,
        }
    }

    /// Take the cached result for a file whose content has this hash.
    pub fn take(&mut self, path: &str, hash: u128) -> Option<Parsed> {
        self.entries.remove(&(path.to_string(), hash))
    }

    /// Store this run's results (replacing the entry: files deleted since go away).
    pub fn save(&self, entries: &[(&str, u128, &Parsed)]) {
        let Some(store) = self.store else { return };
        let entries: Vec<EntryRef<'_>> = entries
            .iter()
            .map(|(path, hash, parsed)| EntryRef {
                path,
                hash: *hash,
                parsed,
            })
            .collect();
        if let Ok(bytes) = postcard::to_allocvec(&entries) {
            store.put(NAME, key().as_bytes(), &bytes);
        }
    }

    /// Whether a result for this file and content is cached.
    pub fn contains(&self, path: &str, hash: u128) -> bool {
        self.entries.contains_key(&(path.to_string(), hash))
    }

    pub fn enabled(&self) -> bool {
        self.store.is_some()
    }

    /// Entries no file took: files deleted or changed since the cache was written.
    pub fn has_leftovers(&self) -> bool {
        !self.entries.is_empty()
    }
}
