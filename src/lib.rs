//! lockgen: find and fix Salesforce record-lock contention.
//!
//! The binary is a thin wrapper over [`run_with_args`]; tests call it directly.

pub mod apex;
pub mod baseline;
pub mod cache;
pub mod cli;
pub mod config;
pub mod error;
pub mod flow;
pub mod generate;
pub mod graph;
pub mod index;
pub mod lint;
pub mod lsp;
pub mod metadata;
pub mod plan;
pub mod project;
pub mod report;
pub mod rules;
pub mod safe_fs;
pub mod suppress;

mod docs;

use std::ffi::OsString;
use std::io::Write;

use clap::Parser;

pub use error::Error;

/// Exit code for usage, configuration and I/O errors.
pub const EXIT_ERROR: i32 = 2;

/// Parse the arguments, run the command, and return the process exit code (0, 1 or 2).
/// Output is plain (no colour, 80 columns), as when piped.
pub fn run_with_args<I, T>(args: I, out: &mut dyn Write, err: &mut dyn Write) -> i32
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    run(args, lint::Terminal::PLAIN, out, err)
}

/// [`run_with_args`] for a given terminal: the binary passes what its stdout is.
pub fn run<I, T>(args: I, terminal: lint::Terminal, out: &mut dyn Write, err: &mut dyn Write) -> i32
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let cli = match cli::Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            let shown = e.render().to_string();
            return if e.use_stderr() {
                let _ = write!(err, "{shown}");
                EXIT_ERROR
            } else {
                let _ = write!(out, "{shown}");
                0
            };
        }
    };
    ensure_thread_pool();
    panic_on_request();
    let result = match &cli.command {
        cli::Command::Lint(args) => lint::lint(args, terminal, out, err),
        cli::Command::Rules(args) => docs::rules(args.format, out).map(|()| 0),
        cli::Command::Explain(args) => docs::explain(&args.rule, out).map(|()| 0),
        cli::Command::Lsp(args) => lsp::run(args),
        cli::Command::New(args) => generate::run(args, out, err)
            .map(|()| 0)
            .map_err(Error::from),
        cli::Command::Plan(args) => match plan::run(args, out, err) {
            Ok(code) => Ok(code),
            Err(error) => {
                let _ = writeln!(err, "lockgen: error: {error}");
                Ok(EXIT_ERROR)
            }
        },
        cli::Command::Graph(args) => graph::run(args, out, err),
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            // An error can name a file of the repository: escaped like every other line.
            let sink = match &cli.command {
                cli::Command::Lint(args) => lint::sink(args.format),
                _ => report::escape::Sink::Terminal,
            };
            let _ = writeln!(err, "lockgen: error: {}", sink.line(&error.to_string()));
            EXIT_ERROR
        }
    }
}

/// Parsing recurses over nested code; give the worker threads room beyond the 2 MiB default.
fn ensure_thread_pool() {
    // Fails only when a pool exists already (tests call run_with_args many times): fine.
    let _ = rayon::ThreadPoolBuilder::new()
        .stack_size(16 * 1024 * 1024)
        .build_global();
}

/// `LOCKGEN_INTERNAL_PANIC=1` makes lockgen panic on purpose, so that a test can check what a
/// real defect would look like to a user: one line and exit code 2, never a backtrace.
#[allow(clippy::panic)]
fn panic_on_request() {
    if std::env::var_os("LOCKGEN_INTERNAL_PANIC").is_some_and(|v| v == "1") {
        panic!("LOCKGEN_INTERNAL_PANIC is set");
    }
}
