//! `lockgen lint`, a pipeline: discover the project, load it (or the last run's results),
//! analyse it, filter the findings (settings, suppressions, focus, exclusions, baseline) and
//! render them; returns the exit code.

pub mod changed;
mod results;

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use rayon::prelude::*;

use crate::baseline::{self, Baseline};
use crate::cache::{Store, Unavailable};
use crate::cli::{Color, FailOn, Format, LintArgs};
use crate::config::{CommandLine, Settings};
use crate::error::Error;
use crate::index::{self, ModelCache, Project};
use crate::project::{self, Discovery};
use crate::report::escape::Sink;
use crate::report::{self, Report, Summary, human::HumanOptions};
use crate::rules::{Finding, Rule, Severity};
use crate::suppress::Suppressions;

/// What the output is written to: a terminal gets colour and its own width; anything else
/// (CI logs, files, tests) a fixed width and no colour, so the bytes are reproducible.
#[derive(Debug, Clone, Copy)]
pub struct Terminal {
    pub color: bool,
    pub width: usize,
}

impl Terminal {
    pub const PLAIN: Terminal = Terminal {
        color: false,
        width: 80,
    };

    /// Inspect the process's standard output.
    pub fn detect() -> Terminal {
        if !std::io::stdout().is_terminal() {
            return Terminal::PLAIN;
        }
        Terminal {
            color: std::env::var_os("NO_COLOR").is_none(),
            width: terminal_size::terminal_size().map_or(100, |(w, _)| usize::from(w.0).max(60)),
        }
    }
}

/// Set by the binary, which exits right after one run: freeing a large project's models one by
/// one takes a few hundred milliseconds (a tenth of a cold run of a million lines) that the
/// process's exit does for nothing. Library callers (tests, the language server) free them.
static EXITS_AFTER_RUN: AtomicBool = AtomicBool::new(false);

/// Leave the last run's project to the process's exit instead of freeing it (see
/// [`EXITS_AFTER_RUN`]).
pub fn exits_after_run() {
    EXITS_AFTER_RUN.store(true, Ordering::Relaxed);
}

/// Run the rules over the project, in parallel; the order is fixed later by sorting. Related
/// locations are capped here, for every rule and every format.
pub fn run_rules(project: &Project, rules: &[&'static dyn Rule]) -> Vec<Finding> {
    rules
        .par_iter()
        .flat_map_iter(|rule| {
            let mut findings = Vec::new();
            rule.check(project, &mut findings);
            for finding in &mut findings {
                finding.cap_related();
            }
            findings
        })
        .collect()
}

pub fn lint(
    args: &LintArgs,
    terminal: Terminal,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<i32, Error> {
    let mut log = Log::new(sink(args.format), err);
    let mut timings = Timings::start();

    // Discover: the project, its files and the settings of this run.
    let mut discovery = project::discover(&args.paths)?;
    if let Some(reference) = &args.changed_since {
        changed::narrow_focus(&mut discovery, reference)?;
    }
    let settings = Settings::resolve(
        &discovery.root,
        &CommandLine {
            select: &args.select,
            ignore: &args.ignore,
            fail_on: args.fail_on,
            config: args.config.as_deref(),
        },
    )?;
    if args.show_settings {
        write_output(out, settings.render().as_bytes())?;
        return Ok(0);
    }
    for note in &discovery.notes {
        log.line(note);
    }
    let baseline = args
        .baseline
        .as_deref()
        .map(|path| Baseline::read(path, &discovery.root))
        .transpose()?;
    timings.lap("discover");

    // Load and analyse: the last run's results when nothing changed, else parse and run rules.
    let store = (!args.no_cache)
        .then(|| open_cache(&discovery.root, &mut log))
        .flatten();
    let analysis = analyse(&discovery, &settings.rules, store.as_ref(), &mut timings)?;

    // Filter: what this run reports, in output order, with fingerprints.
    let mut kept = filter(analysis, &settings, discovery.focus.as_deref());
    timings.lap("rules");
    if let Some(path) = &args.write_baseline {
        baseline::write(
            path,
            &discovery.root,
            &kept.project,
            &kept.findings,
            &kept.fingerprints,
        )?;
        log.line(&format!(
            "wrote {} findings to the baseline {}",
            kept.findings.len(),
            path.display()
        ));
    }
    let baselined = baseline.map(|baseline| kept.drop_baselined(baseline));

    // Render.
    let mut summary = Summary::new(&kept.project, &kept.findings, baselined);
    summary.skipped_test_classes = kept.skipped_test_classes;
    render(args, terminal, &kept, &settings, summary, out)?;
    timings.lap("report");
    log.suppression_notes(&kept, args.report_unused_suppressions);
    if args.timings {
        log.raw(&timings.render(discovery.files.len()));
    }
    let code = if args.write_baseline.is_some() {
        0
    } else {
        i32::from(fails(&kept.findings, settings.fail_on.0))
    };
    if EXITS_AFTER_RUN.load(Ordering::Relaxed) {
        std::mem::forget(kept);
    }
    Ok(code)
}

/// The findings `lockgen lint` would report for a project already parsed, with these settings
/// (no focus, no baseline), sorted: what the language server publishes, on documents that may
/// not be saved yet. `stale` is asked between the phases; when it answers yes, newer input has
/// arrived and the work is dropped (`None`). `lap` is told when each phase ends.
pub fn check_parsed(
    mut project: Project,
    settings: &Settings,
    stale: &dyn Fn() -> bool,
    lap: &mut dyn FnMut(&'static str),
) -> Option<(Project, Vec<Finding>)> {
    project.analyse();
    lap("index");
    if stale() {
        return None;
    }
    let findings = run_rules(&project, &settings.rules);
    lap("rules");
    if stale() {
        return None;
    }
    let suppressions = Suppressions::collect(&project);
    let kept = filter(
        Analysis {
            project,
            findings,
            suppressions,
            // The language server publishes findings, not a summary.
            skipped_test_classes: 0,
        },
        settings,
        None,
    );
    Some((kept.project, kept.findings))
}

/// The project's cache, or none (with a note when there is something to say: a link where the
/// cache folder should be).
fn open_cache(root: &std::path::Path, log: &mut Log<'_>) -> Option<Store> {
    Store::open(root)
        .map_err(|Unavailable(note)| note.inspect(|note| log.line(note)))
        .ok()
}

/// What analysis returns: the project (whole, or only its files when the results came from the
/// cache), every finding of the rules that ran, and the suppressions in the source.
struct Analysis {
    project: Project,
    findings: Vec<Finding>,
    suppressions: Suppressions,
    /// Test classes left unparsed: no rule reads them.
    skipped_test_classes: usize,
}

fn analyse(
    discovery: &Discovery,
    rules: &[&'static dyn Rule],
    store: Option<&Store>,
    timings: &mut Timings,
) -> Result<Analysis, Error> {
    let raw = index::read(discovery)?;
    let skipped_test_classes = raw.iter().filter(|raw| raw.test_class).count();
    timings.lap("read");
    let key = store.map(|_| results::key(rules, discovery, &raw));
    if let (Some(store), Some(key)) = (store, &key)
        && let Some((findings, suppressions)) = results::load(store, key, discovery)
    {
        // Nothing changed since the last run: its results stand; no parsing, no analysis.
        return Ok(Analysis {
            project: index::light(discovery, raw),
            findings,
            suppressions,
            skipped_test_classes,
        });
    }
    let mut models = match store {
        Some(store) => ModelCache::load(store),
        None => ModelCache::disabled(),
    };
    // What the parse phase will do, for `--timings`: files neither skipped nor cached.
    let (files, bytes) = discovery
        .files
        .iter()
        .zip(&raw)
        .filter(|(file, raw)| !raw.test_class && !models.contains(&file.path, raw.hash))
        .fold((0, 0), |(files, bytes), (_, raw)| {
            (files + 1, bytes + raw.len())
        });
    let mut project = index::parse(discovery, raw, &mut models)?;
    timings.lap("parse");
    timings.throughput(files, bytes);
    project.analyse();
    timings.lap("index");
    let mut findings = run_rules(&project, rules);
    baseline::set_fingerprint_bases(&project, &mut findings);
    let suppressions = Suppressions::collect(&project);
    if let (Some(store), Some(key)) = (store, &key) {
        results::save(store, key, &project, &findings, &suppressions);
    }
    Ok(Analysis {
        project,
        findings,
        suppressions,
        skipped_test_classes,
    })
}

/// What a run reports, in output order, with the fingerprints; and the suppressions, marked
/// with what they suppressed.
struct Kept {
    project: Project,
    findings: Vec<Finding>,
    fingerprints: Vec<String>,
    suppressions: Suppressions,
    skipped_test_classes: usize,
}

/// Apply the run's settings (severities, exclusions), the suppressions in the source and the
/// focus on given files; sort; fingerprint.
fn filter(analysis: Analysis, settings: &Settings, focus: Option<&[String]>) -> Kept {
    let Analysis {
        project,
        mut findings,
        mut suppressions,
        skipped_test_classes,
    } = analysis;
    for finding in &mut findings {
        finding.severity = settings.severity_of(
            finding.rule.code,
            finding.severity,
            finding.object.as_deref(),
        );
    }
    suppressions.apply(&project, &mut findings);
    findings
        .retain(|f| in_focus(&project, focus, f) && !settings.is_excluded(project.path(f.file)));
    report::sort(&project, &mut findings);
    let fingerprints = baseline::fingerprints(&findings);
    Kept {
        project,
        findings,
        fingerprints,
        suppressions,
        skipped_test_classes,
    }
}

impl Kept {
    /// Drop the findings the baseline records; returns how many went.
    fn drop_baselined(&mut self, baseline: Baseline) -> usize {
        let new = baseline.new_findings(&self.fingerprints);
        let before = self.findings.len();
        let mut keep = new.iter();
        self.findings
            .retain(|_| keep.next().copied().unwrap_or(true));
        let mut keep = new.iter();
        self.fingerprints
            .retain(|_| keep.next().copied().unwrap_or(true));
        before - self.findings.len()
    }
}

/// Keep only findings in the focused files or folders, when paths narrower than the root
/// were given.
fn in_focus(project: &Project, focus: Option<&[String]>, finding: &Finding) -> bool {
    let Some(focus) = focus else {
        return true;
    };
    let path = project.path(finding.file);
    focus.iter().any(|f| {
        path == f
            || path
                .strip_prefix(f.as_str())
                .is_some_and(|rest| rest.starts_with('/'))
    })
}

fn fails(findings: &[Finding], fail_on: FailOn) -> bool {
    let threshold = match fail_on {
        FailOn::Error => Severity::Error,
        FailOn::Warning => Severity::Warning,
        FailOn::Info => Severity::Info,
        FailOn::Never => return false,
    };
    findings.iter().any(|f| f.severity >= threshold)
}

fn render(
    args: &LintArgs,
    terminal: Terminal,
    kept: &Kept,
    settings: &Settings,
    summary: Summary,
    out: &mut dyn Write,
) -> Result<(), Error> {
    let project = &kept.project;
    let findings = &kept.findings;
    let report = Report {
        project,
        findings,
        fingerprints: &kept.fingerprints,
        rules: &settings.rules,
        summary,
    };
    let written = match args.format {
        Format::Human => {
            let color = match args.color {
                Color::Always => true,
                Color::Never => false,
                Color::Auto => terminal.color,
            };
            let options = HumanOptions {
                color,
                width: terminal.width,
            };
            report::human::render(project, findings, &report.summary, options, out)
        }
        Format::Json => report::json::render(project, findings, &report.summary, out),
        Format::Sarif => report::sarif::render(&report, out),
        Format::Github => report::github::render(&report, out),
        Format::Junit => report::junit::render(&report, out),
    };
    written_or_closed(written)
}

/// Where the run's stderr lines end up, by its output format.
pub fn sink(format: Format) -> Sink {
    match format {
        Format::Github => Sink::GithubLog,
        _ => Sink::Terminal,
    }
}

/// lockgen's lines on stderr, each escaped for where the run's output goes: a note can echo a
/// file name, and no file name may start a workflow command or move a terminal's cursor.
/// Notes are advisory; a closed stderr does not fail the run.
struct Log<'w> {
    err: &'w mut dyn Write,
    sink: Sink,
}

impl<'w> Log<'w> {
    fn new(sink: Sink, err: &'w mut dyn Write) -> Log<'w> {
        Log { err, sink }
    }

    fn line(&mut self, text: &str) {
        let _ = writeln!(self.err, "lockgen: {}", self.sink.line(text));
    }

    /// Text of lockgen's own making (timings), as it is.
    fn raw(&mut self, text: &str) {
        let _ = write!(self.err, "{text}");
    }

    fn suppression_notes(&mut self, kept: &Kept, unused: bool) {
        let project = &kept.project;
        for unknown in &kept.suppressions.unknown {
            self.line(&format!(
                "{}: unknown rule `{}` in a suppression",
                project.location(unknown.file, unknown.span.start),
                unknown.given
            ));
        }
        if unused {
            for entry in kept.suppressions.unused() {
                self.line(&format!(
                    "{}: unused suppression of {}: it suppressed nothing",
                    project.location(entry.file, entry.span.start),
                    entry.codes.join(", ")
                ));
            }
        }
    }
}

fn write_output(out: &mut dyn Write, bytes: &[u8]) -> Result<(), Error> {
    written_or_closed(out.write_all(bytes))
}

/// `lockgen lint | head` closes the pipe early: not an error.
fn written_or_closed(result: std::io::Result<()>) -> Result<(), Error> {
    match result {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(Error::Output(e)),
        _ => Ok(()),
    }
}

/// The process's peak resident memory so far, from `/proc/self/status` (`VmHWM`); `None`
/// where there is no procfs.
fn peak_resident_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Wall-clock time per phase, for `--timings`.
struct Timings {
    started: Instant,
    last: Instant,
    /// Each phase's wall time, and the process's peak resident memory at its end (Linux).
    laps: Vec<(&'static str, Duration, Option<u64>)>,
    /// What the parse phase parsed: files and bytes (test classes and cached files aside).
    parsed: Option<(usize, usize)>,
}

impl Timings {
    fn start() -> Timings {
        let now = Instant::now();
        Timings {
            started: now,
            last: now,
            laps: Vec::new(),
            parsed: None,
        }
    }

    /// What the phase just timed parsed, shown beside it with its throughput.
    fn throughput(&mut self, files: usize, bytes: usize) {
        self.parsed = Some((files, bytes));
    }

    fn lap(&mut self, phase: &'static str) {
        let now = Instant::now();
        self.laps
            .push((phase, now - self.last, peak_resident_kib()));
        self.last = now;
    }

    fn render(&self, files: usize) -> String {
        let mut text = format!("lockgen: timings for {files} files (wall clock, ms)\n");
        for (phase, took, peak) in &self.laps {
            text.push_str(&format!("  {phase:<9}{:>9.1}", took.as_secs_f64() * 1000.0));
            if let Some(kib) = peak {
                text.push_str(&format!("  peak {:>5} MB", kib / 1024));
            }
            if *phase == "parse"
                && let Some((files, bytes)) = self.parsed
            {
                let megabytes = bytes as f64 / 1e6;
                text.push_str(&format!(
                    "  ({files} files, {megabytes:.1} MB, {:.1} MB/s on {} threads)",
                    megabytes / took.as_secs_f64().max(1e-9),
                    rayon::current_num_threads()
                ));
            }
            text.push('\n');
        }
        text.push_str(&format!(
            "  {:<9}{:>9.1}\n",
            "total",
            self.started.elapsed().as_secs_f64() * 1000.0
        ));
        text
    }
}
