//! `lockgen graph`: the lock graph drawn — what runs, and what locks, when a record is saved.
//!
//! A pipeline of small stages: load the project (as `lint` does) → run the rules → build the
//! [`Graph`] (objects, writers, edges; [`writers::collect`] is the one place writers come
//! from) → narrow it to an object's neighbourhood (`--object`, [`view`]) → render it: one
//! small file per format over the one model, as `report` does.

pub mod dot;
pub mod html;
pub mod json;
pub mod mermaid;
pub mod model;
pub mod view;
pub mod writers;

use std::io::Write;
use std::path::Path;

use crate::cli::{GraphArgs, GraphFormat};
use crate::config::{CommandLine, Settings};
use crate::error::Error;
use crate::index::{self, ModelCache};
use crate::project::{self, Discovery};
use crate::report::escape::Sink;
use crate::rules::Finding;
use crate::safe_fs::Folder;
use crate::suppress::Suppressions;

pub use model::Graph;

/// How many cascades `--object` follows when `--depth` is not given.
pub const DEFAULT_DEPTH: u8 = 2;

#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum GraphError {
    #[error("`{given}` is not an object of this project's lock graph{}", suggestion(.suggestions))]
    #[diagnostic(
        code(lockgen::graph::unknown_object),
        help("`lockgen graph --format json` lists every object (`objects[].name`)")
    )]
    UnknownObject {
        given: String,
        suggestions: Vec<String>,
    },

    #[error("cannot write {path}: {source}")]
    #[diagnostic(code(lockgen::graph::write))]
    Write {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

fn suggestion(suggestions: &[String]) -> String {
    match suggestions {
        [] => String::new(),
        names => format!(
            " (did you mean {}?)",
            names
                .iter()
                .map(|n| format!("`{n}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// Run `lockgen graph`; returns the exit code (0).
pub fn run(args: &GraphArgs, out: &mut dyn Write, err: &mut dyn Write) -> Result<i32, Error> {
    let paths: Vec<_> = args.path.iter().cloned().collect();
    let discovery = project::discover(&paths)?;
    for note in &discovery.notes {
        let _ = writeln!(err, "lockgen: {}", Sink::Terminal.line(note));
    }
    let graph = build(&discovery)?;
    let graph = match &args.object {
        Some(name) => {
            let Some(object) = graph.find_object(name) else {
                return Err(GraphError::UnknownObject {
                    given: name.clone(),
                    suggestions: similar_objects(&graph, name),
                }
                .into());
            };
            view::focus(&graph, object, usize::from(args.depth))
        }
        None => graph,
    };
    let mut bytes = Vec::new();
    render(&graph, args.format, usize::from(args.depth), &mut bytes).map_err(Error::Output)?;
    match &args.out {
        Some(path) => write_file(path, &discovery.root, &bytes)?,
        None => write_stdout(out, &bytes)?,
    }
    Ok(0)
}

/// Load and analyse the project, run its rules (its settings and suppressions apply), and
/// build the whole graph.
pub fn build(discovery: &Discovery) -> Result<Graph, Error> {
    let settings = Settings::resolve(
        &discovery.root,
        &CommandLine {
            select: &[],
            ignore: &[],
            fail_on: None,
            config: None,
        },
    )?;
    let raw = index::read(discovery)?;
    let mut project = index::parse(discovery, raw, &mut ModelCache::disabled())?;
    project.analyse();
    let mut findings: Vec<Finding> = crate::lint::run_rules(&project, &settings.rules);
    for finding in &mut findings {
        finding.severity = settings.severity_of(
            finding.rule.code,
            finding.severity,
            finding.object.as_deref(),
        );
    }
    Suppressions::collect(&project).apply(&project, &mut findings);
    findings.retain(|f| !settings.is_excluded(project.path(f.file)));
    crate::report::sort(&project, &mut findings);
    Ok(Graph::build(&project, &discovery.package_dirs, &findings))
}

/// Render a graph in a format.
pub fn render(
    graph: &Graph,
    format: GraphFormat,
    depth: usize,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    match format {
        GraphFormat::Mermaid => mermaid::render(graph, out),
        GraphFormat::Dot => dot::render(graph, out),
        GraphFormat::Html => html::render(graph, depth, out),
        GraphFormat::Json => json::render(graph, out),
    }
}

/// Objects whose names are close to what was asked for: same name but a namespace or suffix
/// apart, or containing it.
fn similar_objects(graph: &Graph, given: &str) -> Vec<String> {
    let wanted = given.to_ascii_lowercase();
    let bare = crate::metadata::strip_namespace(&wanted).trim_end_matches("__c");
    let mut names: Vec<String> = graph
        .objects
        .iter()
        .map(|o| o.name.clone())
        .filter(|name| {
            let lower = name.to_ascii_lowercase();
            let stem = crate::metadata::strip_namespace(&lower).trim_end_matches("__c");
            !bare.is_empty() && (stem == bare || lower.contains(bare))
        })
        .collect();
    names.truncate(5);
    names
}

/// Write the output file all or nothing; below the project root no link is followed.
fn write_file(path: &Path, root: &Path, bytes: &[u8]) -> Result<(), Error> {
    let error = |source| GraphError::Write {
        path: path.display().to_string(),
        source,
    };
    let (folder, name) = Folder::for_file(path, root).map_err(error)?;
    folder
        .write_atomic(&name, bytes, "lockgen-tmp")
        .map_err(error)?;
    Ok(())
}

/// `lockgen graph | head` closes the pipe early: not an error.
fn write_stdout(out: &mut dyn Write, bytes: &[u8]) -> Result<(), Error> {
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(Error::Output(e)),
        _ => Ok(()),
    }
}

/// `text` as one line of printable ASCII for a comment in a drawing's source: anything else,
/// and the characters in `forbidden`, become `?`.
fn printable_line(text: &str, forbidden: &str) -> String {
    text.chars()
        .map(|c| {
            if (c.is_ascii_graphic() || c == ' ') && !forbidden.contains(c) {
                c
            } else {
                '?'
            }
        })
        .collect()
}
