//! Temporary files and folders removed even when the run is interrupted (Ctrl-C, SIGTERM).
//! Errors and panics drop them already; on a signal, a handler removes what is registered and
//! raises a flag, and the run stops at its next check (every few thousand rows, and before the
//! output is renamed into place) with exit code 130. The handler neither prints nor exits
//! itself: the main thread holds the locks on stdout and stderr. A second signal aborts.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, Once};

use super::PlanError;

static PENDING: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());
static INSTALL: Once = Once::new();
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// Removes its path from the list when dropped (the owner has removed the file by then).
pub struct Registered(PathBuf);

impl Drop for Registered {
    fn drop(&mut self) {
        if let Ok(mut pending) = PENDING.lock() {
            pending.retain(|p| p != &self.0);
        }
    }
}

/// Remove `path` (a file or a folder) if the process is interrupted before the guard drops.
pub fn register(path: &Path) -> Registered {
    INSTALL.call_once(|| {
        // Fails only when the host program has its own handler (an embedder): fine.
        let _ = ctrlc::set_handler(|| {
            if INTERRUPTED.swap(true, Ordering::SeqCst) {
                std::process::abort();
            }
            if let Ok(pending) = PENDING.lock() {
                for path in pending.iter() {
                    if path.is_dir() {
                        let _ = std::fs::remove_dir_all(path);
                    } else {
                        let _ = std::fs::remove_file(path);
                    }
                }
            }
        });
    });
    if let Ok(mut pending) = PENDING.lock() {
        pending.push(path.to_path_buf());
    }
    Registered(path.to_path_buf())
}

pub fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}

/// Stop here if the run was interrupted.
pub fn check() -> Result<(), PlanError> {
    if interrupted() {
        return Err(PlanError::Interrupted);
    }
    Ok(())
}
