//! Parse results kept between runs: each file's [`Parsed`] by path and content hash. This module
//! owns their serialized form; the cache only stores the bytes.
//!
//! The results live in segments, each one authenticated cache entry: a base (`models.bin`) and
//! up to [`MAX_DELTAS`] deltas (`models-<random>.bin`) that hold only what later runs parsed. A
//! run that changed one file writes a delta of one file, so it costs what parsing that file
//! costs; when the deltas grow (in number, or in size against the base), the next run writes
//! one new base of the live results and removes the deltas it read. A result is looked up by
//! its file's path and content hash, so segments never disagree: an older result for a path is
//! only unused. Each result is serialized on its own, so that a run decodes only the results
//! it uses, on every core.

use std::collections::HashMap;
use std::ops::Range;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::Parsed;
use crate::cache::Store;

const BASE: &str = "models.bin";
const DELTA_PREFIX: &str = "models-";
const DELTA_SUFFIX: &str = ".bin";

/// A base and this many deltas at most; past it, the next run compacts them into a base.
const MAX_DELTAS: usize = 8;

/// Bumped whenever [`Parsed`] or the segment layout changes shape: their bytes are not
/// self-describing.
const SCHEMA: u32 = 8;

/// What every segment is stored under: the schema and this build of lockgen (its version and
/// the hash of its sources), so a rebuilt lockgen never reads another build's results.
fn key() -> String {
    format!(
        "models {SCHEMA} {} {}",
        env!("CARGO_PKG_VERSION"),
        crate::cache::BUILD_ID
    )
}

/// One result as stored: the path, the content hash, and the [`Parsed`] serialized on its own.
#[derive(Serialize, Deserialize)]
struct Entry<'a> {
    path: &'a str,
    hash: u128,
    parsed: &'a [u8],
}

/// Parse results from earlier runs, by path and content hash.
#[derive(Default)]
pub struct ModelCache<'s> {
    store: Option<&'s Store>,
    /// The segments as read: the base (if any) first.
    segments: Vec<Vec<u8>>,
    /// The names of the deltas read, to remove when they are compacted.
    deltas: Vec<String>,
    /// The base's payload size, against which deltas are weighed.
    base_bytes: usize,
    /// (path, hash) → (segment, byte range of the serialized [`Parsed`]).
    index: HashMap<(String, u128), (usize, Range<usize>)>,
}

/// One file's result for [`ModelCache::save`]: whether this run parsed it (`fresh`), or took it
/// from the cache.
pub struct Kept<'a> {
    pub path: &'a str,
    pub hash: u128,
    pub parsed: &'a Parsed,
    pub fresh: bool,
}

impl<'s> ModelCache<'s> {
    pub fn disabled() -> ModelCache<'static> {
        ModelCache::default()
    }

    pub fn load(store: &'s Store) -> ModelCache<'s> {
        let key = key();
        let mut cache = ModelCache {
            store: Some(store),
            ..ModelCache::default()
        };
        if let Some(base) = store.get(BASE, key.as_bytes()) {
            cache.base_bytes = base.len();
            cache.add_segment(base);
        }
        let mut deltas = store.names_like(DELTA_PREFIX, DELTA_SUFFIX);
        deltas.sort();
        // More than this many is not lockgen's doing (a planted folder): read none of the rest.
        for name in deltas.iter().take(MAX_DELTAS * 2) {
            if let Some(bytes) = store.get(name, key.as_bytes()) {
                cache.add_segment(bytes);
            }
        }
        // Read or not (damaged, foreign), every delta goes at the next compaction.
        cache.deltas = deltas;
        cache
    }

    fn add_segment(&mut self, bytes: Vec<u8>) {
        let Ok(entries) = postcard::from_bytes::<Vec<Entry<'_>>>(&bytes) else {
            return;
        };
        let segment = self.segments.len();
        let start = bytes.as_ptr() as usize;
        for entry in entries {
            let at = entry.parsed.as_ptr() as usize - start;
            self.index.insert(
                (entry.path.to_string(), entry.hash),
                (segment, at..at + entry.parsed.len()),
            );
        }
        self.segments.push(bytes);
    }

    /// The cached result for a file whose content has this hash (decoded now: call it from
    /// every thread).
    pub fn get(&self, path: &str, hash: u128) -> Option<Parsed> {
        let (segment, range) = self.index.get(&(path.to_string(), hash))?;
        let bytes = self.segments.get(*segment)?.get(range.clone())?;
        postcard::from_bytes(bytes).ok()
    }

    /// Whether a result for this file and content is cached (without decoding it).
    pub fn contains(&self, path: &str, hash: u128) -> bool {
        self.index.contains_key(&(path.to_string(), hash))
    }

    pub fn enabled(&self) -> bool {
        self.store.is_some()
    }

    /// Keep this run's results: the fresh ones in a new delta, or, when the deltas have grown,
    /// everything live in a new base (files deleted since go away).
    pub fn save(&self, kept: &[Kept<'_>]) {
        let Some(store) = self.store else { return };
        let fresh: Vec<&Kept<'_>> = kept.iter().filter(|k| k.fresh).collect();
        if fresh.is_empty() && self.deltas.len() < MAX_DELTAS {
            // Nothing new; results of files deleted since wait for the next compaction.
            return;
        }
        let Some(fresh_bytes) = serialize(&fresh) else {
            return;
        };
        let key = key();
        let small = fresh_bytes.len() * 4 <= self.base_bytes;
        if self.base_bytes > 0 && small && self.deltas.len() < MAX_DELTAS {
            let name = format!(
                "{DELTA_PREFIX}{:016x}{DELTA_SUFFIX}",
                crate::safe_fs::random_u64()
            );
            store.put(&name, key.as_bytes(), &fresh_bytes);
            return;
        }
        let all: Vec<&Kept<'_>> = kept.iter().collect();
        let Some(base) = serialize(&all) else { return };
        if store.put(BASE, key.as_bytes(), &base) {
            for name in &self.deltas {
                store.remove(name);
            }
        }
    }
}

/// A segment's bytes: each result serialized on its own (on every core), then the list.
fn serialize(kept: &[&Kept<'_>]) -> Option<Vec<u8>> {
    let parsed: Vec<Vec<u8>> = kept
        .par_iter()
        .map(|k| postcard::to_allocvec(k.parsed))
        .collect::<Result<_, _>>()
        .ok()?;
    let entries: Vec<Entry<'_>> = kept
        .iter()
        .zip(&parsed)
        .map(|(k, parsed)| Entry {
            path: k.path,
            hash: k.hash,
            parsed,
        })
        .collect();
    postcard::to_allocvec(&entries).ok()
}
