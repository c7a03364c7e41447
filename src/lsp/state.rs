//! What the protocol thread and the analysis thread share.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::AtomicU64;

use lsp_types::{Diagnostic, Url};

#[derive(Default)]
pub struct Shared {
    /// Bumped by every input (an edit, a save, a setting); work begun for an older value is
    /// stale and dropped between phases.
    pub generation: AtomicU64,
    /// The diagnostics last published, by URI: what hover and code actions answer from.
    pub published: Mutex<HashMap<Url, Vec<Diagnostic>>>,
}

impl Shared {
    pub fn published(&self) -> std::sync::MutexGuard<'_, HashMap<Url, Vec<Diagnostic>>> {
        match self.published.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        }
    }
}
