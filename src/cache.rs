//! The on-disk cache: a store of checksummed, authenticated bytes under a key. It knows no rule,
//! finding or suppression: their owners serialize them, and the store only promises to give
//! back exactly the bytes it was given, under exactly the key it was given, or nothing.
//!
//! Every entry carries a checksum of its payload and a keyed BLAKE3 MAC over its name, its key
//! and its payload. The MAC key is random, made once per user and kept in the user's cache
//! folder (`$XDG_CACHE_HOME/lockgen/key`, else `~/.cache/lockgen/key`), never in a project, so
//! a cache that is committed, copied from elsewhere, truncated or edited fails a check and is
//! ignored (DESIGN.md, "Trust").

use std::ffi::{OsStr, OsString};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use crate::safe_fs::{self, Folder, Kind};

/// This build of lockgen: a hash of the sources it was built from (`build.rs`). Entries that
/// a build's code produced (parse results, findings) are keyed with it, so a rebuilt lockgen
/// with other rules but the same version never takes another build's results.
pub const BUILD_ID: &str = env!("LOCKGEN_BUILD_ID");

/// Bumped whenever the entry layout changes.
const MAGIC: &[u8; 8] = b"lockgen\x02";
const MAC_LEN: usize = 32;
const SUM_LEN: usize = 16;
const HEADER: usize = MAGIC.len() + MAC_LEN + SUM_LEN + 4;

/// Refuse to read a cache entry larger than this: it cannot be ours.
const MAX_ENTRY_BYTES: u64 = 1 << 30;

/// Suffix of the store's temporary files; a killed run's are removed by the next one.
const TEMP_SUFFIX: &str = "tmp";

const KEY_FILE: &str = "key";
const KEY_LEN: usize = 32;

/// An open cache folder and the key that authenticates its entries.
pub struct Store {
    folder: Folder,
    secret: [u8; KEY_LEN],
}

/// Why there is no cache this run: a note for stderr, or nothing worth saying (no home folder,
/// a read-only checkout).
pub struct Unavailable(pub Option<String>);

impl Store {
    /// The cache of the project at `root` (canonical): `.lockgen/cache/` in it, or
    /// `$XDG_CACHE_HOME/lockgen/<hash of the root>/` when that is set. Folders are created
    /// without following a link; a link where one should be turns the cache off, with a note.
    pub fn open(root: &Path) -> Result<Store, Unavailable> {
        let user = user_cache_dir().ok_or(Unavailable(None))?;
        if safe_fs::absolute(&user).is_ok_and(|u| u.starts_with(root))
            || std::fs::canonicalize(&user).is_ok_and(|u| u.starts_with(root))
        {
            return Err(Unavailable(Some(
                "the user's cache folder lies inside the project, where the repository could plant the cache key; the cache is off".to_string(),
            )));
        }
        let (base, below): (PathBuf, Vec<OsString>) = if xdg_cache_home().is_some() {
            let id = blake3::hash(root.as_os_str().as_encoded_bytes()).to_hex();
            (user.clone(), vec![OsString::from(&id[..16])])
        } else {
            (
                root.to_path_buf(),
                vec![OsString::from(".lockgen"), OsString::from("cache")],
            )
        };
        let secret = load_or_make_key(&user)?;
        let below: Vec<&OsStr> = below.iter().map(OsString::as_os_str).collect();
        let opened = Folder::open_beneath(&base, &below, true).map_err(|error| {
            Unavailable(safe_fs::is_refusal(&error).then(|| format!("{error}; the cache is off")))
        })?;
        let folder = opened.folder;
        folder.remove_stale_temps(TEMP_SUFFIX);
        if base == root {
            // Never commit a cache: a `.gitignore` of its own, unless something is there.
            if let Ok(mut file) = folder.create_new(OsStr::new(".gitignore")) {
                let _ = file.write_all(b"# lockgen's cache: never commit it\n*\n");
            }
        }
        Ok(Store { folder, secret })
    }

    /// The payload stored as `name` under `key`, if it is there, whole, and ours.
    pub fn get(&self, name: &str, key: &[u8]) -> Option<Vec<u8>> {
        let mut bytes = self
            .folder
            .read_capped(OsStr::new(name), MAX_ENTRY_BYTES)
            .ok()?;
        let payload_at = self.check(name, key, &bytes)?;
        bytes.drain(..payload_at);
        Some(bytes)
    }

    /// The offset of the payload when the entry passes every check.
    fn check(&self, name: &str, key: &[u8], bytes: &[u8]) -> Option<usize> {
        let (magic, rest) = bytes.split_first_chunk::<8>()?;
        let (mac, rest) = rest.split_first_chunk::<MAC_LEN>()?;
        let (sum, rest) = rest.split_first_chunk::<SUM_LEN>()?;
        let (key_len, rest) = rest.split_first_chunk::<4>()?;
        let key_len = u32::from_le_bytes(*key_len) as usize;
        if magic != MAGIC || rest.len() < key_len || &rest[..key_len] != key {
            return None;
        }
        let payload = &rest[key_len..];
        // The checksum catches a damaged file; the MAC, a file lockgen did not write.
        if xxhash_rust::xxh3::xxh3_128(payload).to_le_bytes() != *sum {
            return None;
        }
        if self.mac(name, key, sum, payload) != blake3::Hash::from_bytes(*mac) {
            return None;
        }
        Some(HEADER + key_len)
    }

    fn mac(&self, name: &str, key: &[u8], sum: &[u8; SUM_LEN], payload: &[u8]) -> blake3::Hash {
        let mut hasher = blake3::Hasher::new_keyed(&self.secret);
        hasher.update(name.as_bytes());
        hasher.update(&[0]);
        hasher.update(&(key.len() as u64).to_le_bytes());
        hasher.update(key);
        hasher.update(sum);
        if payload.len() > 1 << 20 {
            // Large payloads (the parse results) hash faster on every core.
            hasher.update_rayon(payload);
        } else {
            hasher.update(payload);
        }
        hasher.finalize()
    }

    /// Store `payload` as `name` under `key`, all or nothing; whether it was stored. A failure
    /// (a full disk) leaves the previous entry, or none, and no temporary file: a cache that
    /// cannot be written is only a slower next run.
    pub fn put(&self, name: &str, key: &[u8], payload: &[u8]) -> bool {
        let Ok(key_len) = u32::try_from(key.len()) else {
            return false;
        };
        let sum = xxhash_rust::xxh3::xxh3_128(payload).to_le_bytes();
        let mac = self.mac(name, key, &sum, payload);
        let mut bytes = Vec::with_capacity(HEADER + key.len() + payload.len());
        bytes.extend_from_slice(MAGIC);
        bytes.extend_from_slice(mac.as_bytes());
        bytes.extend_from_slice(&sum);
        bytes.extend_from_slice(&key_len.to_le_bytes());
        bytes.extend_from_slice(key);
        bytes.extend_from_slice(payload);
        self.folder
            .write_atomic(OsStr::new(name), &bytes, TEMP_SUFFIX)
            .is_ok()
    }

    /// The names of the entries that start with `prefix` and end with `suffix` (whatever they
    /// hold: [`Store::get`] checks each).
    pub fn names_like(&self, prefix: &str, suffix: &str) -> Vec<String> {
        let Ok(names) = self.folder.names() else {
            return Vec::new();
        };
        names
            .into_iter()
            .filter_map(|name| name.into_string().ok())
            .filter(|name| name.starts_with(prefix) && name.ends_with(suffix))
            .collect()
    }

    /// Remove an entry (never a link's target: the link itself goes).
    pub fn remove(&self, name: &str) {
        let _ = self.folder.remove_file(OsStr::new(name));
    }

    /// The cache folder, for messages and tests.
    pub fn folder(&self) -> &Path {
        self.folder.path()
    }
}

fn xdg_cache_home() -> Option<PathBuf> {
    std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
}

/// `$XDG_CACHE_HOME/lockgen`, else the platform's per-user cache folder.
pub fn user_cache_dir() -> Option<PathBuf> {
    if let Some(xdg) = xdg_cache_home() {
        return Some(xdg.join("lockgen"));
    }
    #[cfg(windows)]
    let base = std::env::var_os("LOCALAPPDATA").map(PathBuf::from);
    #[cfg(not(windows))]
    let base = std::env::var_os("HOME")
        .map(PathBuf::from)
        .map(|home| home.join(".cache"));
    base.filter(|p| p.is_absolute()).map(|p| p.join("lockgen"))
}

/// The user's cache key: read it, or make one (32 random bytes, readable by the user only),
/// published without ever replacing one that another run made first.
fn load_or_make_key(dir: &Path) -> Result<[u8; KEY_LEN], Unavailable> {
    // The user's own folder: trusted as it is, links and all.
    let folder = Folder::open_beneath(dir, &[], true)
        .map_err(|_| Unavailable(None))?
        .folder;
    if let Some(key) = read_key(&folder) {
        return Ok(key);
    }
    folder.remove_stale_temps(TEMP_SUFFIX);
    let mut key = [0u8; KEY_LEN];
    getrandom::fill(&mut key).map_err(|_| Unavailable(None))?;
    let made = write_new_key(&folder, &key);
    match made {
        Ok(()) => Ok(key),
        // Another run published its key first, or ours is unreadable: use what is there.
        Err(_) => read_key(&folder).ok_or(Unavailable(None)),
    }
}

fn read_key(folder: &Folder) -> Option<[u8; KEY_LEN]> {
    let bytes = folder
        .read_capped(OsStr::new(KEY_FILE), KEY_LEN as u64)
        .ok()?;
    bytes.try_into().ok()
}

fn write_new_key(folder: &Folder, key: &[u8; KEY_LEN]) -> io::Result<()> {
    let temporary = OsString::from(format!(
        ".{KEY_FILE}.{}-{:016x}.{TEMP_SUFFIX}",
        std::process::id(),
        safe_fs::random_u64()
    ));
    let mut file = folder.create_private(&temporary)?;
    let written = file.write_all(key).and_then(|()| file.sync_all());
    drop(file);
    let published = written.and_then(|()| match folder.kind(OsStr::new(KEY_FILE))? {
        // A damaged key (wrong length) is replaced; a good one is never overwritten.
        Some(Kind::File) if read_key(folder).is_none() => {
            folder.rename(&temporary, folder, OsStr::new(KEY_FILE))
        }
        _ => folder.link_new(&temporary, OsStr::new(KEY_FILE)),
    });
    let _ = folder.remove_file(&temporary);
    published
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_build_id_is_a_hash_of_the_sources() {
        assert_eq!(super::BUILD_ID.len(), 32);
        assert!(super::BUILD_ID.bytes().all(|b| b.is_ascii_hexdigit()));
    }
}
