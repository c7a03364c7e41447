//! `lockgen lint`: discover, load, run the rules, filter, report; returns the exit code.

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

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

use rayon::prelude::*;

use crate::cli::{Color, FailOn, Format, LintArgs};
use crate::error::Error;
use crate::index::{self, Project};
use crate::project;
use crate::report::{self, human::HumanOptions};
use crate::rules::{Finding, Rule, Severity, registry};

/// Which rules run, from `--select` and `--ignore`.
pub struct Selection {
    rules: Vec<&'static dyn Rule>,
}

impl Selection {
    pub fn new(select: &[String], ignore: &[String]) -> Result<Selection, Error> {
        let resolve = |given: &String| -> Result<&'static str, Error> {
            registry::find(given)
                .map(|rule| rule.meta().code)
                .ok_or_else(|| Error::UnknownRule {
                    given: given.clone(),
                    suggestion: registry::suggest(given),
                })
        };
        let selected = select
            .iter()
            .filter(|s| !s.trim().is_empty())
            .map(resolve)
            .collect::<Result<Vec<_>, _>>()?;
        let ignored = ignore
            .iter()
            .filter(|s| !s.trim().is_empty())
            .map(resolve)
            .collect::<Result<Vec<_>, _>>()?;
        let rules = registry::all()
            .filter(|rule| selected.is_empty() || selected.contains(&rule.meta().code))
            .filter(|rule| !ignored.contains(&rule.meta().code))
            .collect();
        Ok(Selection { rules })
    }
}

/// Run the selected rules over the project, in parallel; the order is fixed later by sorting.
pub fn run_rules(project: &Project, selection: &Selection) -> Vec<Finding> {
    selection
        .rules
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
    let selection = Selection::new(&args.select, &args.ignore)?;
    let discovery = project::discover(&args.paths)?;
    for note in &discovery.notes {
        // Notes are advisory; a closed stderr must not fail the run.
        let _ = writeln!(err, "lockgen: {note}");
    }
    timings.lap("discover");
    let raw = index::read(&discovery)?;
    timings.lap("read");
    let mut project = index::parse(&discovery, raw)?;
    timings.lap("parse");
    project.analyse();
    timings.lap("index");
    let mut findings = run_rules(&project, &selection);
    findings.retain(|f| in_focus(&project, &discovery.focus, f));
    report::sort(&project, &mut findings);
    timings.lap("rules");
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
            report::human::render(&project, &findings, options, out)
        }
        Format::Json => report::json::render(&project, &findings, out),
    };
    match written {
        Ok(()) => {}
        // `lockgen lint | head` closes the pipe early: not an error.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
        Err(e) => return Err(Error::Output(e)),
    }
    timings.lap("report");
    if args.timings {
        let _ = write!(err, "{}", timings.render(discovery.files.len()));
    }
    Ok(i32::from(fails(&findings, args.fail_on)))
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
