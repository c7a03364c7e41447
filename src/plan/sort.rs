//! Grouping rows by parent: `(parent key, row number)` pairs sorted in memory, or, past the
//! memory budget, as sorted runs spilled to a temporary folder and merged k ways.
//!
//! Pairs sort by the key's 64-bit hash first, then the key, then the row: equal keys end up
//! together, and comparisons rarely touch the key bytes (parent Ids share long prefixes).
//! Groups therefore come out in hash order: deterministic, not alphabetical.

use std::cmp::Ordering;
use std::collections::{BinaryHeap, HashMap};
use std::fs::File;
use std::hash::BuildHasherDefault;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use rayon::slice::ParallelSliceMut;

use super::PlanError;

/// A pair in memory: the key's hash, where the key sits in the arena, and the row.
#[derive(Clone, Copy)]
pub struct Entry {
    prefix: u64,
    offset: u32,
    len: u32,
    row: u32,
}

const ENTRY_BYTES: usize = std::mem::size_of::<Entry>();

/// A hasher for keys that are hashes already.
#[derive(Default)]
struct Identity(u64);

impl std::hash::Hasher for Identity {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0 << 8) | u64::from(*b);
        }
    }

    fn write_u64(&mut self, value: u64) {
        self.0 = value;
    }
}

type ByHash = HashMap<u64, u32, BuildHasherDefault<Identity>>;

/// Collects `(key, row)` pairs; call [`KeySorter::finish`] for them grouped by key.
pub struct KeySorter {
    /// Each distinct key once (a parent's rows share it), found again through `interned`.
    arena: Vec<u8>,
    interned: ByHash,
    entries: Vec<Entry>,
    limit: usize,
    dir: PathBuf,
    name: String,
    runs: Vec<PathBuf>,
}

fn prefix(key: &[u8]) -> u64 {
    xxhash_rust::xxh3::xxh3_64(key)
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> PlanError + '_ {
    move |source| PlanError::Temp {
        path: path.display().to_string(),
        source,
    }
}

impl KeySorter {
    /// `limit`: bytes of pairs held in memory before a run is spilled into `dir`.
    pub fn new(limit: usize, dir: &Path, name: &str) -> KeySorter {
        KeySorter {
            arena: Vec::new(),
            interned: ByHash::default(),
            entries: Vec::new(),
            limit: limit.max(1024),
            dir: dir.to_path_buf(),
            name: name.to_string(),
            runs: Vec::new(),
        }
    }

    pub fn push(&mut self, key: &[u8], row: u32) -> Result<(), PlanError> {
        if self.arena.len() + key.len() > u32::MAX as usize
            || self.arena.len() + (self.entries.len() + self.interned.len() + 1) * ENTRY_BYTES
                > self.limit
        {
            self.spill()?;
        }
        let hash = prefix(key);
        let known = self.interned.get(&hash).copied().filter(|offset| {
            self.arena
                .get(*offset as usize..*offset as usize + key.len())
                == Some(key)
        });
        let offset = match known {
            Some(offset) => offset,
            None => {
                let offset = self.arena.len() as u32;
                self.arena.extend_from_slice(key);
                // On a (rare) hash collision the first key keeps the entry; the other is
                // stored again each time, which is only slower.
                self.interned.entry(hash).or_insert(offset);
                offset
            }
        };
        self.entries.push(Entry {
            prefix: hash,
            offset,
            len: key.len() as u32,
            row,
        });
        Ok(())
    }

    fn sort(&mut self) {
        let arena = &self.arena;
        let key = |e: &Entry| &arena[e.offset as usize..(e.offset + e.len) as usize];
        self.entries.par_sort_unstable_by(|a, b| {
            a.prefix
                .cmp(&b.prefix)
                .then_with(|| {
                    // The same interned key: no need to compare bytes.
                    if a.offset == b.offset && a.len == b.len {
                        Ordering::Equal
                    } else {
                        key(a).cmp(key(b))
                    }
                })
                .then(a.row.cmp(&b.row))
        });
    }

    /// Write the pairs held so far as one sorted run: `[hash u64][len u32][key][row u32]`,
    /// little-endian.
    fn spill(&mut self) -> Result<(), PlanError> {
        if self.entries.is_empty() {
            return Ok(());
        }
        self.sort();
        let path = self
            .dir
            .join(format!("{}-run-{}.bin", self.name, self.runs.len()));
        let file = File::create_new(&path).map_err(io(&path))?;
        let mut writer = BufWriter::with_capacity(1 << 20, file);
        for entry in &self.entries {
            let key = &self.arena[entry.offset as usize..(entry.offset + entry.len) as usize];
            writer
                .write_all(&entry.prefix.to_le_bytes())
                .and_then(|()| writer.write_all(&entry.len.to_le_bytes()))
                .and_then(|()| writer.write_all(key))
                .and_then(|()| writer.write_all(&entry.row.to_le_bytes()))
                .map_err(io(&path))?;
        }
        writer.flush().map_err(io(&path))?;
        self.runs.push(path);
        self.entries = Vec::new();
        self.arena = Vec::new();
        self.interned = ByHash::default();
        Ok(())
    }

    /// Sort what is in memory (spilling it too when runs exist already).
    pub fn finish(mut self) -> Result<Sorted, PlanError> {
        if self.runs.is_empty() {
            self.sort();
            self.interned = ByHash::default();
            self.arena.shrink_to_fit();
            return Ok(Sorted::Memory {
                arena: self.arena,
                entries: self.entries,
            });
        }
        self.spill()?;
        Ok(Sorted::Runs(self.runs))
    }
}

/// Pairs sorted by key, then row: each group of one key comes out with its rows ascending.
pub enum Sorted {
    Memory { arena: Vec<u8>, entries: Vec<Entry> },
    Runs(Vec<PathBuf>),
}

impl Sorted {
    pub fn spilled_runs(&self) -> usize {
        match self {
            Sorted::Memory { .. } => 0,
            Sorted::Runs(runs) => runs.len(),
        }
    }

    /// Call `visit(key, rows)` for every key, in key order; rows ascend. Can be called again.
    pub fn each_group(
        &self,
        mut visit: impl FnMut(&[u8], &[u32]) -> Result<(), PlanError>,
    ) -> Result<(), PlanError> {
        let mut rows: Vec<u32> = Vec::new();
        match self {
            Sorted::Memory { arena, entries } => {
                let key = |e: &Entry| &arena[e.offset as usize..(e.offset + e.len) as usize];
                let mut start = 0;
                while start < entries.len() {
                    let head = &entries[start];
                    let first = key(head);
                    let mut end = start + 1;
                    while end < entries.len()
                        && ((entries[end].offset == head.offset && entries[end].len == head.len)
                            || key(&entries[end]) == first)
                    {
                        end += 1;
                    }
                    rows.clear();
                    rows.extend(entries[start..end].iter().map(|e| e.row));
                    visit(first, &rows)?;
                    start = end;
                }
                Ok(())
            }
            Sorted::Runs(paths) => {
                let mut heap = BinaryHeap::new();
                for (index, path) in paths.iter().enumerate() {
                    let file = File::open(path).map_err(io(path))?;
                    let mut cursor = Cursor {
                        reader: BufReader::with_capacity(256 * 1024, file),
                        hash: 0,
                        key: Vec::new(),
                        row: 0,
                        run: index,
                    };
                    if cursor.advance().map_err(io(path))? {
                        heap.push(cursor);
                    }
                }
                let mut current: Vec<u8> = Vec::new();
                let mut current_hash = 0u64;
                let mut started = false;
                while let Some(mut cursor) = heap.pop() {
                    if !started || cursor.hash != current_hash || cursor.key != current {
                        if started {
                            visit(&current, &rows)?;
                        }
                        started = true;
                        current.clear();
                        current.extend_from_slice(&cursor.key);
                        current_hash = cursor.hash;
                        rows.clear();
                    }
                    rows.push(cursor.row);
                    let path = &paths[cursor.run];
                    if cursor.advance().map_err(io(path))? {
                        heap.push(cursor);
                    }
                }
                if started {
                    visit(&current, &rows)?;
                }
                Ok(())
            }
        }
    }
}

/// The head of one run during the merge.
struct Cursor {
    reader: BufReader<File>,
    hash: u64,
    key: Vec<u8>,
    row: u32,
    run: usize,
}

impl Cursor {
    fn advance(&mut self) -> std::io::Result<bool> {
        let mut long = [0u8; 8];
        match self.reader.read_exact(&mut long) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(false),
            Err(e) => return Err(e),
        }
        self.hash = u64::from_le_bytes(long);
        let mut word = [0u8; 4];
        self.reader.read_exact(&mut word)?;
        let len = u32::from_le_bytes(word) as usize;
        self.key.resize(len, 0);
        self.reader.read_exact(&mut self.key)?;
        self.reader.read_exact(&mut word)?;
        self.row = u32::from_le_bytes(word);
        Ok(true)
    }
}

// A min-heap on (key, row): reverse the natural order for `BinaryHeap`.
impl Ord for Cursor {
    fn cmp(&self, other: &Self) -> Ordering {
        other
            .hash
            .cmp(&self.hash)
            .then_with(|| other.key.cmp(&self.key))
            .then_with(|| other.row.cmp(&self.row))
    }
}

impl PartialOrd for Cursor {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Cursor {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Cursor {}

#[cfg(test)]
mod tests {
    use super::*;

    fn groups(sorted: &Sorted) -> Vec<(Vec<u8>, Vec<u32>)> {
        let mut all = Vec::new();
        sorted
            .each_group(|key, rows| {
                all.push((key.to_vec(), rows.to_vec()));
                Ok(())
            })
            .unwrap();
        all
    }

    #[test]
    fn spilled_runs_merge_like_memory() {
        let dir = tempfile::tempdir().unwrap();
        let keys: Vec<Vec<u8>> = (0..5000u32)
            .map(|i| format!("k{:05}", (i * 7919) % 613).into_bytes())
            .collect();
        let mut small = KeySorter::new(2048, dir.path(), "small");
        let mut large = KeySorter::new(1 << 30, dir.path(), "large");
        for (row, key) in keys.iter().enumerate() {
            small.push(key, row as u32).unwrap();
            large.push(key, row as u32).unwrap();
        }
        let (small, large) = (small.finish().unwrap(), large.finish().unwrap());
        assert!(small.spilled_runs() > 10);
        assert_eq!(large.spilled_runs(), 0);
        let merged = groups(&small);
        assert_eq!(merged, groups(&large));
        assert_eq!(merged.len(), 613);
        assert!(merged.windows(2).all(|w| w[0].0 != w[1].0));
        assert!(
            merged
                .iter()
                .all(|(_, rows)| rows.windows(2).all(|w| w[0] < w[1]))
        );
    }
}
