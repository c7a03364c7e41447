//! The command line: clap derive only. `lib::run_with_args` dispatches on it.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "lockgen",
    version,
    about = "Find and fix Salesforce record-lock contention (UNABLE_TO_LOCK_ROW) in Apex and object metadata",
    propagate_version = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Analyse a project (or some of its files) for record-lock contention risks
    Lint(LintArgs),
    /// List every rule: code, name, default severity and what it checks
    Rules(RulesArgs),
    /// Show a rule's full documentation
    Explain(ExplainArgs),
}

#[derive(Debug, Args)]
pub struct LintArgs {
    /// A project root, folders or files (default: the current folder). With files or folders
    /// below the root, the whole project is analysed but only findings in them are reported.
    pub paths: Vec<PathBuf>,

    /// Output format
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,

    /// Exit with 1 when a finding has at least this severity
    #[arg(long, value_enum, default_value_t = FailOn::Warning)]
    pub fail_on: FailOn,

    /// Run only these rules (codes or names, comma-separated)
    #[arg(long, value_delimiter = ',', value_name = "RULES")]
    pub select: Vec<String>,

    /// Skip these rules (codes or names, comma-separated)
    #[arg(long, value_delimiter = ',', value_name = "RULES")]
    pub ignore: Vec<String>,

    /// When to colour human output
    #[arg(long, value_enum, default_value_t = Color::Auto)]
    pub color: Color,

    /// Print how long each phase took (discover, read, parse, index, rules, report) to stderr
    #[arg(long)]
    pub timings: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Human,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    Error,
    Warning,
    Info,
    Never,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Color {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Args)]
pub struct RulesArgs {
    /// Output format; `markdown` prints the README's rule table
    #[arg(long, value_enum, default_value_t = RulesFormat::Human)]
    pub format: RulesFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RulesFormat {
    Human,
    Json,
    Markdown,
}

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// A rule code (LCK004) or name (read-then-insert-without-lock)
    pub rule: String,
}
