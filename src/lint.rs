//! `lockgen lint`: discover, load, run the rules, filter (settings, suppressions, exclusions,
//! focus, baseline), report; returns the exit code.

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

use rayon::prelude::*;

use std::collections::HashMap;

use crate::baseline::{self, Baseline};
use crate::cache::{self, CacheDir, CachedFinding, ModelCache, Results};
use crate::cli::{Color, FailOn, Format, LintArgs};
use crate::config::{CommandLine, Settings};
use crate::error::Error;
use crate::index::{self, FileId, Project};
use crate::project;
use crate::report::escape::Sink;
use crate::report::{self, Report, Summary, human::HumanOptions};
use crate::rules::{Finding, Related, Rule, Severity, registry};
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

/// Run the rules over the project, in parallel; the order is fixed later by sorting.
pub fn run_rules(project: &Project, rules: &[&'static dyn Rule]) -> Vec<Finding> {
    rules
        .par_iter()
        .flat_map_iter(|rule| {
            let mut findings = Vec::new();
            rule.check(project, &mut findings);
            findings
        })
        .collect()
}

/// Keep only findings in the focused files or folders, when paths narrower than the root
/// were given.
fn in_focus(project: &Project, focus: &Option<Vec<String>>, finding: &Finding) -> bool {
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

pub fn lint(
    args: &LintArgs,
    terminal: Terminal,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<i32, Error> {
    let mut timings = Timings::start();
    let discovery = project::discover(&args.paths)?;
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
    // Notes are advisory; a closed stderr must not fail the run. A note can echo a file name,
    // and no file name may start a workflow command or move a terminal's cursor.
    let sink = sink(args.format);
    for note in &discovery.notes {
        let _ = writeln!(err, "lockgen: {}", sink.line(note));
    }
    timings.lap("discover");
    let raw = index::read(&discovery)?;
    timings.lap("read");

    let cache_dir = (!args.no_cache).then(|| CacheDir::for_root(&discovery.root));
    let codes: Vec<&str> = settings.rules.iter().map(|r| r.meta().code).collect();
    let hashes: Vec<(&str, u64)> = discovery
        .files
        .iter()
        .zip(&raw)
        .map(|(file, raw)| (file.path.as_str(), raw.hash))
        .collect();
    let key = cache::results_key(&codes, &hashes);
    let cached = cache_dir
        .as_ref()
        .and_then(|dir| cache::load_results(dir, key));
    let (project, results) = match cached {
        // Nothing changed since the last run: its findings stand; no parsing, no analysis.
        Some(results) => (index::light(&discovery, raw), results),
        None => {
            let mut models = match &cache_dir {
                Some(dir) => ModelCache::load(dir.clone()),
                None => ModelCache::disabled(),
            };
            let mut project = index::parse(&discovery, raw, &mut models)?;
            timings.lap("parse");
            project.analyse();
            timings.lap("index");
            let findings = run_rules(&project, &settings.rules);
            let results = to_results(&project, &findings);
            if let Some(dir) = &cache_dir {
                cache::save_results(dir, key, results.clone());
            }
            (project, results)
        }
    };

    let files: HashMap<&str, FileId> = project
        .files
        .iter()
        .enumerate()
        .map(|(index, file)| (file.path.as_str(), FileId(index as u32)))
        .collect();
    let mut findings = from_results(&files, &results);
    let mut suppressions =
        Suppressions::from_cached(&files, &results.suppressions, &results.unknown_codes);
    for finding in &mut findings {
        finding.severity = settings.severity_of(
            finding.rule.code,
            finding.severity,
            finding.object.as_deref(),
        );
    }
    suppressions.apply(&project, &mut findings);
    findings.retain(|f| {
        in_focus(&project, &discovery.focus, f) && !settings.is_excluded(project.path(f.file))
    });
    report::sort(&project, &mut findings);
    let mut fingerprints = baseline::fingerprints(&findings);
    timings.lap("rules");

    if let Some(path) = &args.write_baseline {
        baseline::write(path, &project, &findings, &fingerprints)?;
        let _ = writeln!(
            err,
            "lockgen: {}",
            sink.line(&format!(
                "wrote {} findings to the baseline {}",
                findings.len(),
                path.display()
            ))
        );
    }
    let mut baselined = None;
    if let Some(path) = &args.baseline {
        let fresh = Baseline::read(path, &discovery.root)?.new_findings(&fingerprints);
        baselined = Some(fresh.iter().filter(|new| !**new).count());
        let mut keep = fresh.into_iter();
        let mut keep_fingerprint = keep.clone();
        findings.retain(|_| keep.next().unwrap_or(true));
        fingerprints.retain(|_| keep_fingerprint.next().unwrap_or(true));
    }

    let summary = Summary::new(&project, &findings, baselined);
    let report = Report {
        project: &project,
        findings: &findings,
        fingerprints: &fingerprints,
        rules: &settings.rules,
        summary: summary.clone(),
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
            report::human::render(&project, &findings, &summary, options, out)
        }
        Format::Json => report::json::render(&project, &findings, &summary, out),
        Format::Sarif => report::sarif::render(&report, out),
        Format::Github => report::github::render(&report, out),
        Format::Junit => report::junit::render(&report, out),
    };
    written_or_closed(written)?;
    timings.lap("report");

    for unknown in &suppressions.unknown {
        let _ = writeln!(
            err,
            "lockgen: {}",
            sink.line(&format!(
                "{}: unknown rule `{}` in a suppression",
                project.location(unknown.file, unknown.span.start),
                unknown.given
            ))
        );
    }
    if args.report_unused_suppressions {
        for unused in suppressions.unused() {
            let _ = writeln!(
                err,
                "lockgen: {}",
                sink.line(&format!(
                    "{}: unused suppression of {}: it suppressed nothing",
                    project.location(unused.file, unused.span.start),
                    unused.codes.join(", ")
                ))
            );
        }
    }
    if args.timings {
        let _ = write!(err, "{}", timings.render(discovery.files.len()));
    }
    if args.write_baseline.is_some() {
        return Ok(0);
    }
    Ok(i32::from(fails(&findings, settings.fail_on.0)))
}

/// A run's findings (with their fingerprint bases) and suppressions, as data for the cache.
fn to_results(project: &Project, findings: &[Finding]) -> Results {
    let suppressions = Suppressions::collect(project);
    let (entries, unknown_codes) = suppressions.to_cached(project);
    Results {
        findings: findings
            .iter()
            .map(|f| CachedFinding {
                rule: f.rule.code.to_string(),
                severity: f.severity,
                path: project.path(f.file).to_string(),
                span: f.span,
                message: f.message.clone(),
                help: f.help.clone(),
                object: f.object.clone(),
                related: f
                    .related
                    .iter()
                    .map(|r| (project.path(r.file).to_string(), r.span, r.message.clone()))
                    .collect(),
                fingerprint_base: baseline::fingerprint_base(project, f),
            })
            .collect(),
        suppressions: entries,
        unknown_codes,
    }
}

fn from_results(files: &HashMap<&str, FileId>, results: &Results) -> Vec<Finding> {
    results
        .findings
        .iter()
        .filter_map(|cached| {
            let rule = registry::find(&cached.rule)?.meta();
            let mut finding = Finding::new(
                rule,
                *files.get(cached.path.as_str())?,
                cached.span,
                cached.message.clone(),
            );
            finding.severity = cached.severity;
            finding.help = cached.help.clone();
            finding.object = cached.object.clone();
            finding.fingerprint_base = cached.fingerprint_base;
            finding.related = cached
                .related
                .iter()
                .filter_map(|(path, span, message)| {
                    Some(Related {
                        file: *files.get(path.as_str())?,
                        span: *span,
                        message: message.clone(),
                    })
                })
                .collect();
            Some(finding)
        })
        .collect()
}

/// Where the run's stderr lines end up, by its output format.
pub fn sink(format: Format) -> Sink {
    match format {
        Format::Github => Sink::GithubLog,
        _ => Sink::Terminal,
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

/// Wall-clock time per phase, for `--timings`.
struct Timings {
    started: Instant,
    last: Instant,
    laps: Vec<(&'static str, Duration)>,
}

impl Timings {
    fn start() -> Timings {
        let now = Instant::now();
        Timings {
            started: now,
            last: now,
            laps: Vec::new(),
        }
    }

    fn lap(&mut self, phase: &'static str) {
        let now = Instant::now();
        self.laps.push((phase, now - self.last));
        self.last = now;
    }

    fn render(&self, files: usize) -> String {
        let mut text = format!("lockgen: timings for {files} files (wall clock, ms)\n");
        for (phase, took) in &self.laps {
            text.push_str(&format!(
                "  {phase:<9}{:>9.1}\n",
                took.as_secs_f64() * 1000.0
            ));
        }
        text.push_str(&format!(
            "  {:<9}{:>9.1}\n",
            "total",
            self.started.elapsed().as_secs_f64() * 1000.0
        ));
        text
    }
}
