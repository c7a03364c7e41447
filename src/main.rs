//! The `lockgen` binary: a one-line message instead of a panic backtrace, then the library.

use std::process::ExitCode;

// Parsing and the whole-program index allocate many small, short-lived values from every
// thread; mimalloc serves them faster than the system allocator.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    if std::env::var_os("RUST_BACKTRACE").is_none() {
        std::panic::set_hook(Box::new(|info| {
            let message = info
                .payload()
                .downcast_ref::<&str>()
                .map(|s| (*s).to_string())
                .or_else(|| info.payload().downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".to_string());
            let place = info
                .location()
                .map(|l| format!(" at {}:{}", l.file(), l.line()))
                .unwrap_or_default();
            eprintln!(
                "lockgen: internal error: {message}{place}; please report it at https://github.com/lockgen/lockgen/issues (set RUST_BACKTRACE=1 for details)"
            );
        }));
    }
    lockgen::lint::exits_after_run();
    let code = std::panic::catch_unwind(|| {
        // Neither is locked for the whole run: a panic on a worker thread prints through the
        // hook, which must not wait for a lock the main thread holds, and `lockgen lsp` writes
        // stdout from its own writer thread.
        let mut out = std::io::stdout();
        let mut err = std::io::stderr();
        lockgen::run(
            std::env::args_os(),
            lockgen::lint::Terminal::detect(),
            &mut out,
            &mut err,
        )
    })
    .unwrap_or(lockgen::EXIT_ERROR);
    ExitCode::from(u8::try_from(code).unwrap_or(2))
}
