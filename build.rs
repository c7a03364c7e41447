//! lockgen's build identity: a hash of everything the binary's behaviour is built from (its
//! sources, the grammar, the templates, the locked dependencies), as `LOCKGEN_BUILD_ID`. The
//! cache keys its parse results and findings with it (`src/cache.rs`), so a lockgen rebuilt with
//! other rules but the same version number never reports another build's cached findings.
//!
//! The grammar's C is compiled by its own crate (`grammars/apex`), so this script, which reruns
//! on every source edit, stays cheap.

use std::hash::{DefaultHasher, Hasher};
use std::path::{Path, PathBuf};

const INPUTS: &[&str] = &[
    "src",
    "grammars",
    "templates",
    "build.rs",
    "Cargo.toml",
    "Cargo.lock",
];

fn main() {
    // Two independent 64-bit hashes of the same stream: 128 bits of identity.
    let mut hashers = [DefaultHasher::new(), DefaultHasher::new()];
    hashers[1].write_u8(1);
    for input in INPUTS {
        println!("cargo:rerun-if-changed={input}");
        let mut files = Vec::new();
        collect(Path::new(input), &mut files);
        files.sort();
        for file in files {
            let Ok(bytes) = std::fs::read(&file) else {
                continue;
            };
            let name = file.to_string_lossy().replace('\\', "/");
            for hasher in &mut hashers {
                hasher.write(name.as_bytes());
                hasher.write_u8(0);
                hasher.write_usize(bytes.len());
                hasher.write(&bytes);
            }
        }
    }
    let [a, b] = hashers.map(|h| h.finish());
    println!("cargo:rustc-env=LOCKGEN_BUILD_ID={a:016x}{b:016x}");
}

/// Every file at or below `path`, leaving out build output and hidden files.
fn collect(path: &Path, out: &mut Vec<PathBuf>) {
    let Ok(meta) = std::fs::symlink_metadata(path) else {
        return;
    };
    if meta.is_file() {
        out.push(path.to_path_buf());
        return;
    }
    if !meta.is_dir() {
        return;
    }
    let Ok(entries) = std::fs::read_dir(path) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with('.') || name == "target" {
            continue;
        }
        collect(&entry.path(), out);
    }
}
