//! The analysis thread: each project's files, their parse results kept in memory, and the
//! whole-program run over them with the open documents' unsaved text in place of the disk's.
//!
//! An edit re-parses one file: every other file's parse result is reused while its content hash
//! is unchanged (disk files are re-read only when their size or modification time moves). The
//! first run of a project takes parse results from its on-disk cache, as `lockgen lint` does.
//! Then the whole program is indexed and the rules run (`lint::check_parsed`); newer input
//! abandons a run between phases.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::sync::mpsc;
use std::time::{Instant, SystemTime};

use crossbeam_channel::Sender;
use lsp_server::{Message, Notification};
use lsp_types::{
    Diagnostic, DiagnosticRelatedInformation, DiagnosticSeverity, Location, NumberOrString,
    Position, PublishDiagnosticsParams, Range, Url,
};
use rayon::prelude::*;

use crate::cache::Store;
use crate::cli::FailOn;
use crate::config::{CommandLine, ConfigError, Settings};
use crate::error::Error;
use crate::index::{self, ModelCache, Parsed, Project};
use crate::lint;
use crate::project::{self, Discovery, FileKind, Layout};
use crate::report::escape::visible;
use crate::rules::{Finding, Severity};

use super::convert::{self, Encoding};
use super::state::Shared;

/// An open document: its unsaved text, and the URI and version the client gave it.
#[derive(Debug, Clone)]
pub struct Overlay {
    pub uri: Url,
    pub version: i32,
    pub text: String,
}

/// What the client asked for since the last job.
#[derive(Debug, Clone, Default)]
pub struct Job {
    pub generation: u64,
    /// Open documents by canonical path.
    pub overlays: HashMap<PathBuf, Overlay>,
    /// Folders that may hold projects (the workspace folders), to load before any document.
    pub roots: Vec<PathBuf>,
    /// Files were created, deleted or renamed, or the project's layout changed.
    pub rediscover: bool,
    /// `lockgen.toml` changed.
    pub reload_settings: bool,
    /// The client's `failOn`, over the project's `fail-on`.
    pub fail_on: Option<FailOn>,
    pub encoding: Option<Encoding>,
    /// When the newest input arrived, for the latency line in the log.
    pub since: Option<Instant>,
}

impl Job {
    /// A newer job, with what this older one asked for that the newer one does not undo.
    fn merged_into(self, mut newer: Job) -> Job {
        newer.rediscover |= self.rediscover;
        newer.reload_settings |= self.reload_settings;
        for root in self.roots {
            if !newer.roots.contains(&root) {
                newer.roots.push(root);
            }
        }
        newer.since = match (self.since, newer.since) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        newer
    }
}

/// The thread's loop: take the newest job, run it unless it is already stale, publish.
pub fn run(jobs: mpsc::Receiver<Job>, shared: Arc<Shared>, out: Sender<Message>) {
    let mut analyser = Analyser::default();
    while let Ok(mut job) = jobs.recv() {
        while let Ok(newer) = jobs.try_recv() {
            job = job.merged_into(newer);
        }
        if shared.generation.load(Ordering::SeqCst) != job.generation {
            continue;
        }
        analyser.run(&job, &shared, &out);
    }
}

#[derive(Default)]
struct Analyser {
    projects: Vec<ProjectState>,
    /// Documents that belong to no project: not looked up again until files change.
    orphans: HashSet<PathBuf>,
}

impl Analyser {
    fn run(&mut self, job: &Job, shared: &Shared, out: &Sender<Message>) {
        let encoding = job.encoding.unwrap_or(Encoding::Utf16);
        if job.rediscover {
            self.orphans.clear();
        }
        for root in &job.roots {
            if is_project_root(root) {
                self.project_for(root);
            }
        }
        for path in job.overlays.keys() {
            if self.owner(path).is_none() && !self.orphans.contains(path) {
                match self.project_for(path) {
                    Some(index) if self.projects[index].index_of(path).is_some() => {}
                    _ => {
                        self.orphans.insert(path.clone());
                    }
                }
            }
        }
        let stale = || shared.generation.load(Ordering::SeqCst) != job.generation;
        for state in &mut self.projects {
            if stale() {
                return;
            }
            let started = Instant::now();
            let Some(report) = state.analyse(job, &stale) else {
                // No settings to run with yet: at least say where lockgen.toml is wrong.
                if state.settings.is_none() && !stale() {
                    let diagnostics = state.settings_diagnostic().into_iter().collect();
                    publish(state, diagnostics, job, shared, out);
                }
                continue;
            };
            let diagnostics = state.diagnostics(&report, job, encoding);
            publish(state, diagnostics, job, shared, out);
            let since = job.since.unwrap_or(started);
            eprintln!(
                "lockgen lsp: {} findings in {} files of {} in {:.0} ms ({} ms; {:.0} ms since the input)",
                report.findings.len(),
                report.project.files.len(),
                state.root.display(),
                started.elapsed().as_secs_f64() * 1000.0,
                report.laps.render(),
                since.elapsed().as_secs_f64() * 1000.0,
            );
        }
    }

    /// The project that lists this file.
    fn owner(&self, path: &Path) -> Option<usize> {
        self.projects
            .iter()
            .position(|p| p.index_of(path).is_some())
    }

    /// The project around `path`, loaded if it is new.
    fn project_for(&mut self, path: &Path) -> Option<usize> {
        let discovery = match project::discover(&[path.to_path_buf()]) {
            Ok(discovery) => discovery,
            Err(error) => {
                eprintln!("lockgen lsp: {}", visible(&error.to_string()));
                return None;
            }
        };
        if let Some(index) = self.projects.iter().position(|p| p.root == discovery.root) {
            return Some(index);
        }
        // A file with no project file above it: lint its folder only when it is one of the
        // files the folder's inventory lists (as `lockgen lint FILE` would).
        if discovery.layout == Layout::Bare && !discovery.files.iter().any(|f| f.abs == path) {
            return None;
        }
        self.projects.push(ProjectState::new(discovery));
        Some(self.projects.len() - 1)
    }
}

fn is_project_root(dir: &Path) -> bool {
    dir.join("sfdx-project.json").is_file()
        || dir.join("package.xml").is_file()
        || dir.join("src").join("package.xml").is_file()
}

/// One file of a project as last seen.
#[derive(Default)]
struct FileState {
    /// Size and modification time of the disk file when `disk` was read.
    stamp: Option<(u64, Option<SystemTime>)>,
    /// The disk file, decoded and hashed once.
    disk: Option<index::RawFile>,
    /// The content hash and parse result of what was analysed last (disk or overlay).
    parsed: Option<(u128, Parsed)>,
}

struct ProjectState {
    root: PathBuf,
    discovery: Discovery,
    /// Inventory position by absolute path (the file's own, and root + relative path).
    by_path: HashMap<PathBuf, usize>,
    files: Vec<FileState>,
    settings: Option<Settings>,
    /// Where lockgen.toml is wrong: shown on the file until it is fixed.
    settings_error: Option<(PathBuf, Position, String)>,
    loaded: bool,
    /// URIs this project published diagnostics for, with what was published.
    published: HashMap<Url, Vec<Diagnostic>>,
}

/// What one run found.
pub struct Report {
    pub project: Project,
    pub findings: Vec<Finding>,
    pub fail_on: FailOn,
    pub laps: Laps,
}

/// Wall time per phase of a run, for the log line.
pub struct Laps {
    last: Instant,
    laps: Vec<(&'static str, f64)>,
}

impl Laps {
    fn start() -> Laps {
        Laps {
            last: Instant::now(),
            laps: Vec::new(),
        }
    }

    fn lap(&mut self, phase: &'static str) {
        let now = Instant::now();
        self.laps
            .push((phase, (now - self.last).as_secs_f64() * 1000.0));
        self.last = now;
    }

    fn render(&self) -> String {
        self.laps
            .iter()
            .map(|(phase, ms)| format!("{phase} {ms:.0}"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

impl ProjectState {
    fn new(discovery: Discovery) -> ProjectState {
        let mut state = ProjectState {
            root: discovery.root.clone(),
            by_path: HashMap::new(),
            files: Vec::new(),
            discovery,
            settings: None,
            settings_error: None,
            loaded: false,
            published: HashMap::new(),
        };
        state.reindex(HashMap::new());
        state.reload_settings();
        state
    }

    fn index_of(&self, path: &Path) -> Option<usize> {
        self.by_path.get(path).copied()
    }

    /// Rebuild the path index after discovery; files seen before keep what was known of them.
    fn reindex(&mut self, mut old: HashMap<String, FileState>) {
        self.by_path.clear();
        self.files.clear();
        for (index, file) in self.discovery.files.iter().enumerate() {
            self.by_path.insert(file.abs.clone(), index);
            self.by_path.insert(self.root.join(&file.path), index);
            self.files.push(old.remove(&file.path).unwrap_or_default());
        }
    }

    fn rediscover(&mut self) {
        match project::discover(std::slice::from_ref(&self.root)) {
            Ok(discovery) => {
                let old_paths: Vec<String> = self
                    .discovery
                    .files
                    .iter()
                    .map(|f| f.path.clone())
                    .collect();
                let old: HashMap<String, FileState> = old_paths
                    .into_iter()
                    .zip(std::mem::take(&mut self.files))
                    .collect();
                self.discovery = discovery;
                self.reindex(old);
            }
            Err(error) => eprintln!("lockgen lsp: {}", visible(&error.to_string())),
        }
    }

    fn reload_settings(&mut self) {
        let none: &[String] = &[];
        let resolved = Settings::resolve(
            &self.root,
            &CommandLine {
                select: none,
                ignore: none,
                fail_on: None,
                config: None,
            },
        );
        match resolved {
            Ok(settings) => {
                self.settings = Some(settings);
                self.settings_error = None;
            }
            Err(error) => {
                let at = match &error {
                    Error::Config(ConfigError::Invalid { line, column, .. }) => Position::new(
                        u32::try_from(line.saturating_sub(1)).unwrap_or(0),
                        u32::try_from(column.saturating_sub(1)).unwrap_or(0),
                    ),
                    _ => Position::new(0, 0),
                };
                eprintln!("lockgen lsp: {}", visible(&error.to_string()));
                self.settings_error = Some((
                    self.root.join("lockgen.toml"),
                    at,
                    visible(&error.to_string()).into_owned(),
                ));
            }
        }
    }

    /// Read what changed, parse what is new, analyse the whole program; `None` when stale or
    /// when there are no settings to run with.
    fn analyse(&mut self, job: &Job, stale: &dyn Fn() -> bool) -> Option<Report> {
        if job.rediscover {
            self.rediscover();
        }
        if job.reload_settings {
            self.reload_settings();
        }
        let settings = self.settings.as_ref()?;
        let overlays = &job.overlays;
        let root = &self.root;
        let mut laps = Laps::start();
        // The on-disk cache serves the first run, as it serves `lockgen lint`.
        let store = (!self.loaded).then(|| Store::open(root).ok()).flatten();
        let models = match &store {
            Some(store) => ModelCache::load(store),
            None => ModelCache::disabled(),
        };
        // Read: an open document's text, else the disk's (re-read only when it moved); the
        // parse result of the last run stands while the content hash is the same.
        let read: Vec<(index::RawFile, Option<Parsed>)> = self
            .discovery
            .files
            .par_iter()
            .zip(self.files.par_iter_mut())
            .map(|(file, state)| {
                let overlay = overlays
                    .get(&file.abs)
                    .or_else(|| overlays.get(&root.join(&file.path)));
                let raw = match overlay {
                    Some(overlay) => index::raw_file(&file.kind, overlay.text.clone().into_bytes()),
                    None => state.disk_file(&file.kind, &file.abs),
                };
                let kept = state
                    .parsed
                    .as_ref()
                    .filter(|(hash, _)| *hash == raw.hash)
                    .map(|(_, parsed)| parsed.clone());
                (raw, kept)
            })
            .collect();
        laps.lap("read");
        // Each file's text, parse result, and whether it was parsed in this run (what the
        // on-disk cache has not seen).
        let inputs: Vec<(index::RawFile, Parsed, bool)> = self
            .discovery
            .files
            .par_iter()
            .zip(self.files.par_iter_mut())
            .zip(read.into_par_iter())
            .map(|((file, state), (raw, kept))| {
                let changed = state.parsed.as_ref().is_none_or(|(h, _)| *h != raw.hash);
                // What the last run kept, else the on-disk cache, else a parse.
                let kept = kept.or_else(|| models.get(&file.path, raw.hash));
                let (parsed, parsed_now) = match kept {
                    Some(parsed) => (parsed, false),
                    None => {
                        let parsed =
                            index::parse_for_lint(file, &raw).unwrap_or_else(|error| Parsed {
                                content: index::Content::Nothing,
                                problems: vec![(Default::default(), error.to_string())],
                            });
                        (parsed, true)
                    }
                };
                if changed {
                    state.parsed = Some((raw.hash, parsed.clone()));
                }
                (raw, parsed, parsed_now)
            })
            .collect();
        if !self.loaded && models.enabled() && inputs.iter().any(|(_, _, new)| *new) {
            let kept: Vec<index::Kept<'_>> = self
                .discovery
                .files
                .iter()
                .zip(&inputs)
                .filter(|(_, (raw, _, _))| !raw.test_class)
                .map(|(file, (raw, parsed, parsed_now))| index::Kept {
                    path: &file.path,
                    hash: raw.hash,
                    parsed,
                    fresh: *parsed_now,
                })
                .collect();
            models.save(&kept);
        }
        self.loaded = true;
        laps.lap("parse");
        if stale() {
            return None;
        }
        let (raw, parsed): (Vec<_>, Vec<_>) = inputs
            .into_iter()
            .map(|(raw, parsed, _)| (raw, parsed))
            .unzip();
        let project = index::assemble(&self.discovery, raw, parsed);
        laps.lap("assemble");
        let (project, findings) =
            lint::check_parsed(project, settings, stale, &mut |phase| laps.lap(phase))?;
        laps.lap("filter");
        Some(Report {
            project,
            findings,
            fail_on: job.fail_on.unwrap_or(settings.fail_on.0),
            laps,
        })
    }

    /// Every finding as a diagnostic, by the URI of its file; open documents keep their URI.
    fn diagnostics(
        &self,
        report: &Report,
        job: &Job,
        encoding: Encoding,
    ) -> HashMap<Url, Vec<Diagnostic>> {
        let project = &report.project;
        let uri_of = |path: &str| -> Option<Url> {
            let abs = self.root.join(path);
            let index = self.index_of(&abs);
            let open = index
                .and_then(|i| job.overlays.get(&self.discovery.files[i].abs))
                .or_else(|| job.overlays.get(&abs));
            match open {
                Some(overlay) => Some(overlay.uri.clone()),
                None => Url::from_file_path(&abs).ok(),
            }
        };
        let mut by_uri: HashMap<Url, Vec<Diagnostic>> = HashMap::new();
        for finding in &report.findings {
            let file = project.file(finding.file);
            let Some(uri) = uri_of(&file.path) else {
                continue;
            };
            let related: Vec<DiagnosticRelatedInformation> = finding
                .related
                .iter()
                .filter_map(|related| {
                    let other = project.file(related.file);
                    Some(DiagnosticRelatedInformation {
                        location: Location {
                            uri: uri_of(&other.path)?,
                            range: convert::range(
                                &other.text,
                                &other.lines,
                                related.span,
                                encoding,
                            ),
                        },
                        message: visible(&related.message).into_owned(),
                    })
                })
                .collect();
            by_uri.entry(uri).or_default().push(Diagnostic {
                range: convert::range(&file.text, &file.lines, finding.span, encoding),
                severity: Some(severity(finding.severity, report.fail_on)),
                code: Some(NumberOrString::String(finding.rule.code.to_string())),
                code_description: None,
                source: Some("lockgen".to_string()),
                message: visible(&finding.message).into_owned(),
                related_information: (!related.is_empty()).then_some(related),
                tags: None,
                data: Some(serde_json::json!({
                    "name": finding.rule.name,
                    "help": finding.help.as_deref().map(|h| visible(h).into_owned()),
                })),
            });
        }
        if let Some((uri, diagnostics)) = self.settings_diagnostic() {
            by_uri.entry(uri).or_default().extend(diagnostics);
        }
        by_uri
    }

    /// Where lockgen.toml is wrong, as a diagnostic on the file.
    fn settings_diagnostic(&self) -> Option<(Url, Vec<Diagnostic>)> {
        let (path, at, message) = self.settings_error.as_ref()?;
        let uri = Url::from_file_path(path).ok()?;
        let diagnostic = Diagnostic {
            range: Range::new(*at, *at),
            severity: Some(DiagnosticSeverity::ERROR),
            source: Some("lockgen".to_string()),
            message: message.clone(),
            ..Diagnostic::default()
        };
        Some((uri, vec![diagnostic]))
    }
}

impl FileState {
    /// The file on disk, read again only when its size or modification time moved. A file
    /// that cannot be read counts as empty (the CLI would stop; an editor goes on).
    fn disk_file(&mut self, kind: &FileKind, abs: &Path) -> index::RawFile {
        let stamp = std::fs::metadata(abs)
            .ok()
            .map(|meta| (meta.len(), meta.modified().ok()));
        match &self.disk {
            Some(raw) if stamp.is_some() && stamp == self.stamp => raw.clone(),
            _ => {
                let bytes = crate::safe_fs::read_capped(abs, crate::safe_fs::MAX_INPUT_BYTES)
                    .unwrap_or_default();
                let raw = index::raw_file(kind, bytes);
                self.stamp = stamp;
                self.disk = Some(raw.clone());
                raw
            }
        }
    }
}

/// Findings at or above fail-on keep their level; the ones `lockgen lint` would let pass are
/// shown as information.
fn severity(severity: Severity, fail_on: FailOn) -> DiagnosticSeverity {
    let fails = match fail_on {
        FailOn::Error => severity >= Severity::Error,
        FailOn::Warning => severity >= Severity::Warning,
        FailOn::Info => true,
        FailOn::Never => false,
    };
    match severity {
        Severity::Error if fails => DiagnosticSeverity::ERROR,
        Severity::Warning if fails => DiagnosticSeverity::WARNING,
        _ => DiagnosticSeverity::INFORMATION,
    }
}

/// Send what changed: every open document of the project (so a client waiting for its
/// diagnostics always gets them), and any other file whose diagnostics differ from the last.
fn publish(
    state: &mut ProjectState,
    mut diagnostics: HashMap<Url, Vec<Diagnostic>>,
    job: &Job,
    shared: &Shared,
    out: &Sender<Message>,
) {
    let open: HashMap<&Url, i32> = job.overlays.values().map(|o| (&o.uri, o.version)).collect();
    // Cleared: files that had diagnostics and have none now.
    for uri in state.published.keys() {
        diagnostics.entry(uri.clone()).or_default();
    }
    let mut order: Vec<Url> = diagnostics.keys().cloned().collect();
    order.sort_by_key(|uri| (!open.contains_key(uri), uri.to_string()));
    let mut shown = shared.published();
    for uri in order {
        let list = diagnostics.remove(&uri).unwrap_or_default();
        let is_open = open.contains_key(&uri);
        let owned = is_open || state.published.contains_key(&uri) || !list.is_empty();
        if !owned {
            continue;
        }
        if !is_open && state.published.get(&uri) == Some(&list) {
            continue;
        }
        let params = PublishDiagnosticsParams {
            uri: uri.clone(),
            diagnostics: list.clone(),
            version: open.get(&uri).copied(),
        };
        let _ = out.send(Message::Notification(Notification::new(
            "textDocument/publishDiagnostics".to_string(),
            params,
        )));
        if list.is_empty() {
            state.published.remove(&uri);
            shown.remove(&uri);
        } else {
            shown.insert(uri.clone(), list.clone());
            state.published.insert(uri, list);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn below_fail_on_is_information() {
        assert_eq!(
            severity(Severity::Warning, FailOn::Warning),
            DiagnosticSeverity::WARNING
        );
        assert_eq!(
            severity(Severity::Warning, FailOn::Error),
            DiagnosticSeverity::INFORMATION
        );
        assert_eq!(
            severity(Severity::Error, FailOn::Never),
            DiagnosticSeverity::INFORMATION
        );
        assert_eq!(
            severity(Severity::Info, FailOn::Info),
            DiagnosticSeverity::INFORMATION
        );
    }
}
