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
    /// Generate lock-safe Apex: a Queueable with a retry Finalizer, Batch Apex, a
    /// platform-event retry, a lock service, an external-ID upsert, or the one trigger of an
    /// object
    New(NewArgs),
    /// Reorder a bulk-load CSV so that batches running at the same time never share a locked
    /// parent, and report the parent-lock collisions before and after
    Plan(PlanArgs),
    /// Draw the lock graph: objects, the parents a write to each locks, and the triggers,
    /// handlers and jobs that write them (Mermaid, Graphviz DOT, an offline HTML page, JSON)
    Graph(GraphArgs),
    /// Run the language server on standard input and output, for editors (VS Code, Neovim,
    /// Zed …): live whole-program diagnostics, hover docs and quick fixes
    Lsp(LspArgs),
}

#[derive(Debug, Args)]
pub struct LspArgs {
    /// Talk over standard input and output (the only transport; accepted because editor
    /// clients pass it)
    #[arg(long)]
    pub stdio: bool,
}

#[derive(Debug, Args)]
pub struct LintArgs {
    /// A project root, folders or files (default: the current folder). With files or folders
    /// below the root, the whole project is analysed but only findings in them are reported.
    pub paths: Vec<PathBuf>,

    /// Output format
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,

    /// Exit with 1 when a finding has at least this severity [default: warning, or
    /// `fail-on` in lockgen.toml]
    #[arg(long, value_enum)]
    pub fail_on: Option<FailOn>,

    /// Settings file (default: lockgen.toml at the project root, when there is one)
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Report only findings that are not in this baseline (from --write-baseline)
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,

    /// Record today's findings in a baseline file (and exit 0), so CI fails only on new ones
    #[arg(long, value_name = "FILE")]
    pub write_baseline: Option<PathBuf>,

    /// Print the resolved settings (config file, rules, severities, fail-on) and exit
    #[arg(long)]
    pub show_settings: bool,

    /// List `lockgen:ignore` comments and `@SuppressWarnings` that suppressed nothing
    #[arg(long)]
    pub report_unused_suppressions: bool,

    /// Run only these rules (codes or names, comma-separated)
    #[arg(long, value_delimiter = ',', value_name = "RULES")]
    pub select: Vec<String>,

    /// Skip these rules (codes or names, comma-separated)
    #[arg(long, value_delimiter = ',', value_name = "RULES")]
    pub ignore: Vec<String>,

    /// When to colour human output
    #[arg(long, value_enum, default_value_t = Color::Auto)]
    pub color: Color,

    /// Report only findings in files changed since this git revision (committed since the
    /// branch left it, staged, unstaged or new); the whole project is still analysed
    #[arg(long, value_name = "REF")]
    pub changed_since: Option<String>,

    /// Neither read nor write the cache of parse results and findings
    #[arg(long)]
    pub no_cache: bool,

    /// Print how long each phase took (discover, read, parse, index, rules, report) to stderr
    #[arg(long)]
    pub timings: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Findings with source snippets, for people
    Human,
    /// The stable JSON contract
    Json,
    /// SARIF 2.1.0, for GitHub code scanning and other SARIF viewers
    Sarif,
    /// GitHub Actions workflow commands (annotations on the pull request)
    Github,
    /// JUnit XML, for Jenkins, GitLab and other CI test reports
    Junit,
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

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct NewArgs {
    #[command(subcommand)]
    pub generator: Option<Generator>,

    /// List the generators, the files each writes and their parameters
    #[arg(long)]
    pub list: bool,
}

#[derive(Debug, Subcommand)]
pub enum Generator {
    /// A Queueable that locks its parents, writes idempotently and retries lock failures from
    /// a Transaction Finalizer
    Queueable(QueueableArgs),
    /// A lock service: FOR UPDATE on a set of Ids, both lock errors as one typed exception
    Lock(LockArgs),
    /// An external-ID upsert helper with per-record results (and, optionally, the field)
    Upsert(UpsertArgs),
    /// The one trigger of an object, delegating to a handler class (the fix for LCK001)
    Trigger(TriggerArgs),
    /// Batch Apex whose scope is ordered by the locking parent, with the same retry and
    /// give-up contract as the Queueable
    Batch(BatchArgs),
    /// A platform-event-driven job, for integrations that cannot chain Queueables: lock
    /// failures are retried by publishing the event again
    EventRetry(EventRetryArgs),
}

/// Where and how generated files are written.
#[derive(Debug, Clone, Args)]
pub struct OutputArgs {
    /// Print the files and their contents instead of writing them
    #[arg(long)]
    pub dry_run: bool,

    /// Overwrite files that exist
    #[arg(long)]
    pub force: bool,

    /// Write under this folder (as `classes/`, `triggers/`, `objects/`) instead of the default
    /// package directory's `main/default`
    #[arg(long, value_name = "DIR")]
    pub output_dir: Option<PathBuf>,

    /// The project to generate into (default: the current folder)
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub project: PathBuf,
}

#[derive(Debug, Args)]
pub struct QueueableArgs {
    #[command(flatten)]
    pub job: JobArgs,

    /// A unique external-ID field on the child: the job upserts on it
    #[arg(long, value_name = "FIELD", requires = "child")]
    pub external_id: Option<String>,

    #[command(flatten)]
    pub retry: RetryArgs,

    #[command(flatten)]
    pub output: OutputArgs,
}

/// What a job works on: its class name, the parent it locks, the child it writes.
#[derive(Debug, Clone, Args)]
pub struct JobArgs {
    /// The class name (an Apex identifier)
    pub name: String,

    /// The parent SObject the job locks (`Account`, `Invoice__c`)
    #[arg(long, value_name = "SOBJECT")]
    pub object: String,

    /// The child SObject the job writes under each parent
    #[arg(long, value_name = "SOBJECT")]
    pub child: Option<String>,

    /// The child's relationship field to the parent (default: from metadata or the
    /// standard-object table)
    #[arg(long, value_name = "FIELD", requires = "child")]
    pub parent_field: Option<String>,
}

/// The retry contract: how often a lock failure is retried, how much one run takes on, and
/// where giving up leaves its trace.
#[derive(Debug, Clone, Args)]
pub struct RetryArgs {
    /// Retries after a lock failure (0-5; 0 gives up on the first lock error)
    #[arg(long, value_name = "N", default_value_t = 3)]
    pub max_retries: u8,

    /// Parents per job, event or batch scope (1-2000)
    #[arg(long, value_name = "N", default_value_t = 200)]
    pub chunk_size: u16,

    /// Where giving up leaves its durable trace: a `Lockgen_Log__c` record, or a
    /// `Lockgen_Give_Up__e` platform event (published immediately); lockgen writes the
    /// object's metadata when the project lacks it
    #[arg(long, value_enum, default_value_t = Trace::Log)]
    pub trace: Trace,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Trace {
    /// Insert a `Lockgen_Log__c` record (queryable, reportable)
    Log,
    /// Publish a `Lockgen_Give_Up__e` platform event (for a subscriber: a flow, a trigger, an
    /// external system)
    Event,
}

#[derive(Debug, Args)]
pub struct BatchArgs {
    #[command(flatten)]
    pub job: JobArgs,

    #[command(flatten)]
    pub retry: RetryArgs,

    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
pub struct EventRetryArgs {
    #[command(flatten)]
    pub job: JobArgs,

    /// A unique external-ID field on the child: the handler upserts on it
    #[arg(long, value_name = "FIELD", requires = "child")]
    pub external_id: Option<String>,

    #[command(flatten)]
    pub retry: RetryArgs,

    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
pub struct LockArgs {
    /// The class name (an Apex identifier)
    pub name: String,

    /// The SObject it locks (default: any, by each Id's type)
    #[arg(long, value_name = "SOBJECT")]
    pub object: Option<String>,

    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
pub struct UpsertArgs {
    /// The class name (an Apex identifier)
    pub name: String,

    /// The SObject it writes
    #[arg(long, value_name = "SOBJECT")]
    pub object: String,

    /// The unique external-ID field it upserts on
    #[arg(long, value_name = "FIELD")]
    pub external_id: String,

    /// Also write the field's metadata (Text, external ID, unique, case-insensitive)
    #[arg(long)]
    pub with_field: bool,

    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
pub struct TriggerArgs {
    /// The SObject the trigger is on
    pub object: String,

    /// The handler class name (default: `<Object>TriggerHandler`)
    #[arg(long, value_name = "NAME")]
    pub handler: Option<String>,

    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
pub struct PlanArgs {
    /// The CSV file to load (UTF-8, header first)
    pub file: PathBuf,

    /// The SObject the file loads (`Contact`, `Invoice_Line__c`)
    #[arg(long, value_name = "SOBJECT")]
    pub object: String,

    /// Rows per batch, as the loader is set up (Data Loader's "batch size")
    #[arg(long, value_name = "N", default_value_t = 200,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub batch_size: u32,

    /// Batches the loader runs at the same time
    #[arg(long, value_name = "N", default_value_t = 5,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub parallel: u32,

    /// Write the reordered file here (never the input file); without it, only the report
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,

    /// Report format
    #[arg(long, value_enum, default_value_t = PlanFormat::Human)]
    pub format: PlanFormat,

    /// The project whose metadata says what locks (default: the project around the CSV file,
    /// else the current folder)
    #[arg(long, value_name = "DIR")]
    pub project: Option<PathBuf>,

    /// Memory for sorting; larger files are sorted in runs spilled to a temporary folder
    /// (`512MB`, `2GB`, `64KB`; binary units)
    #[arg(long, value_name = "SIZE", default_value = "512MB", value_parser = parse_size)]
    pub memory: u64,

    /// Print how long each stage took (project, read, sort, plan, write) to stderr
    #[arg(long)]
    pub timings: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PlanFormat {
    /// A summary with a histogram of group sizes, for people
    Human,
    /// The same facts as JSON, for scripts
    Json,
}

/// `512MB`, `512M`, `2GiB`, `65536`: a size in bytes (K, M and G are powers of 1024).
pub fn parse_size(text: &str) -> Result<u64, String> {
    let trimmed = text.trim();
    let digits = trimmed
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(trimmed.len());
    let (number, unit) = trimmed.split_at(digits);
    let number: u64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a size: write it as 512MB, 2GB or 65536"))?;
    let shift = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 0,
        "k" | "kb" | "kib" => 10,
        "m" | "mb" | "mib" => 20,
        "g" | "gb" | "gib" => 30,
        _ => {
            return Err(format!(
                "`{text}`: unknown unit `{unit}` (use KB, MB or GB)"
            ));
        }
    };
    let bytes = number
        .checked_mul(1u64 << shift)
        .ok_or_else(|| format!("`{text}` is too large"))?;
    if bytes < 4096 {
        return Err(format!("`{text}` is too small: at least 4KB"));
    }
    Ok(bytes)
}

#[derive(Debug, Args)]
pub struct GraphArgs {
    /// The project root, or a folder inside it (default: the current folder)
    pub path: Option<PathBuf>,

    /// Output format
    #[arg(long, value_enum, default_value_t = GraphFormat::Mermaid)]
    pub format: GraphFormat,

    /// Draw only this object's neighbourhood: its writers, what a save of it runs (to
    /// --depth), and the parents locked along the way
    #[arg(long, value_name = "SOBJECT")]
    pub object: Option<String>,

    /// How many cascades to follow from the object (a write that runs another object's
    /// triggers is one); the HTML page uses it for every object it shows
    #[arg(long, value_name = "N", default_value_t = crate::graph::DEFAULT_DEPTH,
          value_parser = clap::value_parser!(u8).range(0..=20))]
    pub depth: u8,

    /// Write to this file (all or nothing) instead of standard output
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum GraphFormat {
    /// A Mermaid flowchart, for GitHub and GitLab Markdown
    Mermaid,
    /// Graphviz DOT (`dot -Tsvg`)
    Dot,
    /// One self-contained page: search an object, click a node (works offline)
    Html,
    /// The graph for scripts
    Json,
}
