//! The crate-level error: everything that ends a run with exit code 2.

use crate::index::LoadError;
use crate::project::ProjectError;

#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum Error {
    #[error(transparent)]
    #[diagnostic(transparent)]
    Project(#[from] ProjectError),

    #[error(transparent)]
    #[diagnostic(transparent)]
    Load(#[from] LoadError),

    #[error("unknown rule `{given}`{}", suggestion_text(.suggestion))]
    #[diagnostic(
        code(lockgen::cli::unknown_rule),
        help("`lockgen rules` lists every code and name")
    )]
    UnknownRule {
        given: String,
        suggestion: Option<&'static str>,
    },

    #[error(transparent)]
    #[diagnostic(transparent)]
    Generate(#[from] crate::generate::GenerateError),

    #[error(transparent)]
    #[diagnostic(transparent)]
    Config(#[from] crate::config::ConfigError),

    #[error(transparent)]
    #[diagnostic(transparent)]
    Baseline(#[from] crate::baseline::BaselineError),

    #[error(transparent)]
    #[diagnostic(transparent)]
    Graph(#[from] crate::graph::GraphError),

    #[error(transparent)]
    #[diagnostic(transparent)]
    Changed(#[from] crate::lint::changed::ChangedError),

    #[error("language server: {0}")]
    #[diagnostic(code(lockgen::lsp::io))]
    Lsp(String),

    #[error("cannot write output: {0}")]
    #[diagnostic(code(lockgen::io::output))]
    Output(#[source] std::io::Error),
}

fn suggestion_text(suggestion: &Option<&'static str>) -> String {
    suggestion
        .map(|s| format!(" (did you mean `{s}`?)"))
        .unwrap_or_default()
}
