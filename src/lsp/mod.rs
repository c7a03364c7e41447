//! `lockgen lsp`: a language server in the lockgen binary, over standard input and output,
//! built on `lsp-server` and `lsp-types` (as rust-analyzer and ruff are).
//!
//! Diagnostics come from the same pipeline as `lockgen lint`, over the whole project, with the
//! editor's unsaved text in place of the files it has open: on open and save at once, on change
//! after a short pause in typing. Hover shows a finding's rule as `lockgen explain` does; code
//! actions add a `lockgen:ignore` comment or open the rule's documentation.
//!
//! Two threads: the protocol thread ([`server`]) keeps the open documents and answers requests
//! from the last diagnostics; the analysis thread ([`analysis`]) keeps every file's parse result
//! and re-runs the analysis, dropping work that newer input has made stale.

mod analysis;
mod convert;
pub mod documents;
mod features;
mod server;
mod state;

use lsp_server::Connection;

use crate::cli::LspArgs;
use crate::error::Error;

/// Serve one editor session on stdio; the exit code is 0 after `shutdown` and `exit`, 1 when
/// the session ended otherwise (as the protocol asks).
pub fn run(_args: &LspArgs) -> Result<i32, Error> {
    let (connection, io_threads) = Connection::stdio();
    let ended = serve(&connection);
    drop(connection);
    let _ = io_threads.join();
    match ended? {
        server::Ended::Clean => Ok(0),
        server::Ended::Abrupt => Ok(1),
    }
}

/// Serve one session on any connection (tests use an in-memory one).
pub fn serve(connection: &Connection) -> Result<server::Ended, Error> {
    server::serve(connection)
}

pub use server::Ended;
