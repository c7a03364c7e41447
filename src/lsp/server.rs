//! The protocol thread: the documents the editor has open, the client's settings, requests
//! (hover, code actions, commands) answered at once from the last diagnostics, and the inputs
//! that start analysis, debounced, on the analysis thread.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use lsp_server::{Connection, ErrorCode, Message, Notification, Request, RequestId, Response};
use lsp_types::notification::Notification as _;
use lsp_types::request::Request as _;
use lsp_types::{
    ClientCapabilities, CodeActionKind, CodeActionOptions, CodeActionParams,
    CodeActionProviderCapability, DidChangeConfigurationParams, DidChangeTextDocumentParams,
    DidChangeWatchedFilesParams, DidChangeWatchedFilesRegistrationOptions,
    DidChangeWorkspaceFoldersParams, DidCloseTextDocumentParams, DidOpenTextDocumentParams,
    DidSaveTextDocumentParams, ExecuteCommandOptions, ExecuteCommandParams, FileChangeType,
    FileSystemWatcher, GlobPattern, HoverParams, HoverProviderCapability, InitializeParams,
    MessageType, PositionEncodingKind, Registration, RegistrationParams, SaveOptions,
    ServerCapabilities, ShowDocumentParams, ShowMessageParams, TextDocumentSyncCapability,
    TextDocumentSyncKind, TextDocumentSyncOptions, TextDocumentSyncSaveOptions, Url,
};
use serde_json::Value;

use crate::cli::FailOn;
use crate::error::Error;

use super::analysis::{self, Job, Overlay};
use super::convert::{self, Encoding};
use super::documents;
use super::features;
use super::state::Shared;

/// How long typing must pause before an edit is analysed.
const DEBOUNCE: Duration = Duration::from_millis(75);

/// How the session ended: `shutdown` then `exit` is 0; `exit` alone, or a closed input, is 1.
pub enum Ended {
    Clean,
    Abrupt,
}

/// An open document.
struct Document {
    path: PathBuf,
    version: i32,
    text: String,
}

struct Server<'c> {
    connection: &'c Connection,
    shared: Arc<Shared>,
    jobs: mpsc::Sender<Job>,
    encoding: Encoding,
    documents: HashMap<Url, Document>,
    roots: Vec<PathBuf>,
    fail_on: Option<FailOn>,
    debounce: Duration,
    show_document: bool,
    /// When the pending input is due for analysis, and what it asks for.
    due: Option<Instant>,
    pending: Job,
    next_id: i32,
    /// `shutdown` was answered: only `exit` is expected now.
    shut_down: bool,
}

pub fn serve(connection: &Connection) -> Result<Ended, Error> {
    let (id, params) = connection.initialize_start().map_err(protocol)?;
    let params: InitializeParams = serde_json::from_value(params).map_err(protocol)?;
    let encoding = negotiate(&params.capabilities);
    let result = serde_json::json!({
        "capabilities": capabilities(encoding),
        "serverInfo": {"name": "lockgen", "version": env!("CARGO_PKG_VERSION")},
    });
    connection.initialize_finish(id, result).map_err(protocol)?;

    let shared = Arc::new(Shared::default());
    let (jobs, receiver) = mpsc::channel();
    let worker = {
        let shared = Arc::clone(&shared);
        let out = connection.sender.clone();
        std::thread::Builder::new()
            .name("lockgen-analysis".to_string())
            .stack_size(16 * 1024 * 1024)
            .spawn(move || analysis::run(receiver, shared, out))
            .map_err(|e| Error::Lsp(format!("cannot start the analysis thread: {e}")))?
    };
    let mut server = Server {
        connection,
        shared,
        jobs,
        encoding,
        documents: HashMap::new(),
        roots: workspace_roots(&params),
        fail_on: None,
        debounce: DEBOUNCE,
        show_document: params
            .capabilities
            .window
            .as_ref()
            .and_then(|w| w.show_document.as_ref())
            .is_some_and(|s| s.support),
        due: None,
        pending: Job::default(),
        next_id: 0,
        shut_down: false,
    };
    if let Some(options) = &params.initialization_options {
        server.configure(options);
    }
    server.watch_files(&params.capabilities);
    server.pending.roots = server.roots.clone();
    server.input(Duration::ZERO);
    let ended = server.main_loop();
    let Server { jobs, .. } = server;
    drop(jobs);
    let _ = worker.join();
    ended
}

fn protocol(error: impl std::fmt::Display) -> Error {
    Error::Lsp(error.to_string())
}

/// UTF-8 when the client offers it (no conversion), else the protocol's default, UTF-16.
fn negotiate(capabilities: &ClientCapabilities) -> Encoding {
    let offered = capabilities
        .general
        .as_ref()
        .and_then(|g| g.position_encodings.as_ref());
    match offered {
        Some(list) if list.contains(&PositionEncodingKind::UTF8) => Encoding::Utf8,
        _ => Encoding::Utf16,
    }
}

fn capabilities(encoding: Encoding) -> ServerCapabilities {
    ServerCapabilities {
        position_encoding: Some(match encoding {
            Encoding::Utf8 => PositionEncodingKind::UTF8,
            Encoding::Utf16 => PositionEncodingKind::UTF16,
        }),
        text_document_sync: Some(TextDocumentSyncCapability::Options(
            TextDocumentSyncOptions {
                open_close: Some(true),
                change: Some(TextDocumentSyncKind::INCREMENTAL),
                save: Some(TextDocumentSyncSaveOptions::SaveOptions(SaveOptions {
                    include_text: Some(false),
                })),
                ..TextDocumentSyncOptions::default()
            },
        )),
        hover_provider: Some(HoverProviderCapability::Simple(true)),
        code_action_provider: Some(CodeActionProviderCapability::Options(CodeActionOptions {
            code_action_kinds: Some(vec![CodeActionKind::QUICKFIX]),
            ..CodeActionOptions::default()
        })),
        execute_command_provider: Some(ExecuteCommandOptions {
            commands: vec![features::SHOW_RULE_DOCS.to_string()],
            ..ExecuteCommandOptions::default()
        }),
        ..ServerCapabilities::default()
    }
}

fn workspace_roots(params: &InitializeParams) -> Vec<PathBuf> {
    let mut roots: Vec<PathBuf> = params
        .workspace_folders
        .iter()
        .flatten()
        .filter_map(|folder| folder.uri.to_file_path().ok())
        .collect();
    #[allow(deprecated)]
    if roots.is_empty()
        && let Some(path) = params.root_uri.as_ref().and_then(|u| u.to_file_path().ok())
    {
        roots.push(path);
    }
    roots.iter().map(|root| canonical(root.clone())).collect()
}

fn canonical(path: PathBuf) -> PathBuf {
    std::fs::canonicalize(&path).unwrap_or(path)
}

impl Server<'_> {
    fn main_loop(&mut self) -> Result<Ended, Error> {
        loop {
            if self.due.is_some_and(|due| due <= Instant::now()) {
                self.dispatch();
            }
            let message = match self.due {
                Some(due) => {
                    match self
                        .connection
                        .receiver
                        .recv_timeout(due.saturating_duration_since(Instant::now()))
                    {
                        Ok(message) => message,
                        Err(e) if e.is_timeout() => continue,
                        Err(_) => return Ok(Ended::Abrupt),
                    }
                }
                None => match self.connection.receiver.recv() {
                    Ok(message) => message,
                    Err(_) => return Ok(Ended::Abrupt),
                },
            };
            match message {
                Message::Request(request) if self.shut_down => {
                    self.send(Response::new_err(
                        request.id,
                        ErrorCode::InvalidRequest as i32,
                        "the server is shutting down".to_string(),
                    ));
                }
                Message::Request(request)
                    if request.method == lsp_types::request::Shutdown::METHOD =>
                {
                    // Work in progress is stale from now on; `exit` ends the session.
                    self.shut_down = true;
                    self.due = None;
                    self.shared.generation.fetch_add(1, Ordering::SeqCst);
                    self.send(Response::new_ok(request.id, ()));
                }
                Message::Request(request) => self.request(request),
                Message::Notification(notification) => {
                    if notification.method == lsp_types::notification::Exit::METHOD {
                        return Ok(if self.shut_down {
                            Ended::Clean
                        } else {
                            Ended::Abrupt
                        });
                    }
                    if !self.shut_down {
                        self.notification(notification);
                    }
                }
                Message::Response(_) => {}
            }
        }
    }

    /// New input: whatever runs now is stale; analysis starts after `delay` of quiet.
    fn input(&mut self, delay: Duration) {
        self.shared.generation.fetch_add(1, Ordering::SeqCst);
        let now = Instant::now();
        let due = now + delay;
        self.due = Some(match self.due {
            Some(earlier) if delay.is_zero() => earlier.min(due),
            _ => due,
        });
        self.pending.since.get_or_insert(now);
    }

    fn dispatch(&mut self) {
        self.due = None;
        let mut job = std::mem::take(&mut self.pending);
        job.generation = self.shared.generation.load(Ordering::SeqCst);
        job.fail_on = self.fail_on;
        job.encoding = Some(self.encoding);
        job.overlays = self
            .documents
            .iter()
            .map(|(uri, doc)| {
                (
                    doc.path.clone(),
                    Overlay {
                        uri: uri.clone(),
                        version: doc.version,
                        text: doc.text.clone(),
                    },
                )
            })
            .collect();
        let _ = self.jobs.send(job);
    }

    fn send(&self, message: impl Into<Message>) {
        let _ = self.connection.sender.send(message.into());
    }

    fn request_to_client(&mut self, method: &str, params: impl serde::Serialize) {
        self.next_id += 1;
        let id = RequestId::from(format!("lockgen-{}", self.next_id));
        self.send(Request::new(id, method.to_string(), params));
    }

    /// Ask the client to tell us about changes to the files that shape a project, when it can
    /// watch files for us.
    fn watch_files(&mut self, capabilities: &ClientCapabilities) {
        let dynamic = capabilities
            .workspace
            .as_ref()
            .and_then(|w| w.did_change_watched_files.as_ref())
            .and_then(|w| w.dynamic_registration)
            .unwrap_or(false);
        if !dynamic {
            return;
        }
        let mut globs = vec![
            "**/lockgen.toml".to_string(),
            "**/sfdx-project.json".to_string(),
            "**/.forceignore".to_string(),
            "**/package.xml".to_string(),
        ];
        globs.extend(
            documents::DOCUMENT_TYPES
                .iter()
                .map(|t| format!("**/*{}", t.suffix)),
        );
        let options = DidChangeWatchedFilesRegistrationOptions {
            watchers: globs
                .into_iter()
                .map(|glob| FileSystemWatcher {
                    glob_pattern: GlobPattern::String(glob),
                    kind: None,
                })
                .collect(),
        };
        let params = RegistrationParams {
            registrations: vec![Registration {
                id: "lockgen-watched-files".to_string(),
                method: lsp_types::notification::DidChangeWatchedFiles::METHOD.to_string(),
                register_options: serde_json::to_value(options).ok(),
            }],
        };
        self.request_to_client(lsp_types::request::RegisterCapability::METHOD, params);
    }

    /// Client settings, from `initializationOptions` or `workspace/didChangeConfiguration`:
    /// `{"failOn": "warning", "debounceMs": 75}`, possibly under a `lockgen` key.
    fn configure(&mut self, options: &Value) {
        let options = options.get("lockgen").unwrap_or(options);
        if let Some(fail_on) = options.get("failOn") {
            self.fail_on = match fail_on.as_str() {
                Some("error") => Some(FailOn::Error),
                Some("warning") => Some(FailOn::Warning),
                Some("info") => Some(FailOn::Info),
                Some("never") => Some(FailOn::Never),
                _ => None,
            };
        }
        if let Some(ms) = options.get("debounceMs").and_then(Value::as_u64) {
            self.debounce = Duration::from_millis(ms.min(5_000));
        }
    }

    fn notification(&mut self, notification: Notification) {
        use lsp_types::notification as n;
        match notification.method.as_str() {
            n::DidOpenTextDocument::METHOD => {
                let Ok(params) = notification
                    .extract::<DidOpenTextDocumentParams>(n::DidOpenTextDocument::METHOD)
                else {
                    return;
                };
                let doc = params.text_document;
                let Ok(path) = doc.uri.to_file_path() else {
                    return;
                };
                self.documents.insert(
                    doc.uri,
                    Document {
                        path: canonical(path),
                        version: doc.version,
                        text: doc.text,
                    },
                );
                self.input(Duration::ZERO);
            }
            n::DidChangeTextDocument::METHOD => {
                let Ok(params) = notification
                    .extract::<DidChangeTextDocumentParams>(n::DidChangeTextDocument::METHOD)
                else {
                    return;
                };
                let encoding = self.encoding;
                let Some(doc) = self.documents.get_mut(&params.text_document.uri) else {
                    return;
                };
                for change in params.content_changes {
                    match change.range {
                        Some(range) => {
                            convert::apply_change(&mut doc.text, range, &change.text, encoding)
                        }
                        None => doc.text = change.text,
                    }
                }
                doc.version = params.text_document.version;
                let settings = documents::is_settings_file(&doc.path.to_string_lossy());
                if !settings {
                    self.input(self.debounce);
                }
            }
            n::DidSaveTextDocument::METHOD => {
                let Ok(params) = notification
                    .extract::<DidSaveTextDocumentParams>(n::DidSaveTextDocument::METHOD)
                else {
                    return;
                };
                if let Ok(path) = params.text_document.uri.to_file_path() {
                    self.file_changed(&path.to_string_lossy(), false);
                }
                self.input(Duration::ZERO);
            }
            n::DidCloseTextDocument::METHOD => {
                let Ok(params) = notification
                    .extract::<DidCloseTextDocumentParams>(n::DidCloseTextDocument::METHOD)
                else {
                    return;
                };
                self.documents.remove(&params.text_document.uri);
                self.input(Duration::ZERO);
            }
            n::DidChangeWatchedFiles::METHOD => {
                let Ok(params) = notification
                    .extract::<DidChangeWatchedFilesParams>(n::DidChangeWatchedFiles::METHOD)
                else {
                    return;
                };
                for change in params.changes {
                    if let Ok(path) = change.uri.to_file_path() {
                        let created_or_deleted = change.typ != FileChangeType::CHANGED;
                        self.file_changed(&path.to_string_lossy(), created_or_deleted);
                    }
                }
                self.input(Duration::ZERO);
            }
            n::DidChangeConfiguration::METHOD => {
                let Ok(params) = notification
                    .extract::<DidChangeConfigurationParams>(n::DidChangeConfiguration::METHOD)
                else {
                    return;
                };
                self.configure(&params.settings);
                self.input(Duration::ZERO);
            }
            n::DidChangeWorkspaceFolders::METHOD => {
                let Ok(params) = notification.extract::<DidChangeWorkspaceFoldersParams>(
                    n::DidChangeWorkspaceFolders::METHOD,
                ) else {
                    return;
                };
                for added in params.event.added {
                    if let Ok(path) = added.uri.to_file_path() {
                        self.pending.roots.push(canonical(path));
                    }
                }
                self.input(Duration::ZERO);
            }
            _ => {}
        }
    }

    /// A file changed on disk: settings reload, and the inventory is read again when files
    /// come or go or the project's layout changes.
    fn file_changed(&mut self, path: &str, created_or_deleted: bool) {
        let path = path.replace('\\', "/");
        if documents::is_settings_file(&path) {
            self.pending.reload_settings = true;
        }
        if created_or_deleted || documents::is_project_file(&path) {
            self.pending.rediscover = true;
        }
    }

    fn request(&mut self, request: Request) {
        use lsp_types::request as r;
        let id = request.id.clone();
        let response = match request.method.as_str() {
            r::HoverRequest::METHOD => {
                match request.extract::<HoverParams>(r::HoverRequest::METHOD) {
                    Ok((id, params)) => {
                        let at = params.text_document_position_params;
                        let published = self.shared.published();
                        let hover = published
                            .get(&at.text_document.uri)
                            .and_then(|diagnostics| features::hover(diagnostics, at.position));
                        Response::new_ok(id, hover)
                    }
                    Err(e) => invalid(id, e),
                }
            }
            r::CodeActionRequest::METHOD => {
                match request.extract::<CodeActionParams>(r::CodeActionRequest::METHOD) {
                    Ok((id, params)) => Response::new_ok(id, self.code_actions(&params)),
                    Err(e) => invalid(id, e),
                }
            }
            r::ExecuteCommand::METHOD => {
                match request.extract::<ExecuteCommandParams>(r::ExecuteCommand::METHOD) {
                    Ok((id, params)) => self.execute(id, &params),
                    Err(e) => invalid(id, e),
                }
            }
            _ => Response::new_err(
                id,
                ErrorCode::MethodNotFound as i32,
                format!("lockgen does not handle {}", request.method),
            ),
        };
        self.send(response);
    }

    fn code_actions(&self, params: &CodeActionParams) -> Vec<lsp_types::CodeActionOrCommand> {
        let uri = &params.text_document.uri;
        let Ok(path) = uri.to_file_path() else {
            return Vec::new();
        };
        // The client's idea of the diagnostics in range, else ours.
        let ours;
        let mut diagnostics: &[lsp_types::Diagnostic] = &params.context.diagnostics;
        if !diagnostics.iter().any(|d| features::rule_code(d).is_some()) {
            ours = self
                .shared
                .published()
                .get(uri)
                .cloned()
                .unwrap_or_default();
            diagnostics = &ours;
        }
        let disk;
        let text = match self.documents.get(uri) {
            Some(doc) => doc.text.as_str(),
            None => {
                disk = crate::safe_fs::read_text_capped(&path, crate::safe_fs::MAX_INPUT_BYTES)
                    .unwrap_or_default();
                disk.as_str()
            }
        };
        features::code_actions(
            uri,
            &path.to_string_lossy(),
            text,
            diagnostics,
            params.range,
        )
    }

    /// `lockgen.showRuleDocs CODE`: open the rule's documentation in the editor (a Markdown
    /// file in the user's cache folder), or show its summary where the client cannot.
    fn execute(&mut self, id: RequestId, params: &ExecuteCommandParams) -> Response {
        let code = params.arguments.first().and_then(Value::as_str);
        if params.command != features::SHOW_RULE_DOCS {
            return Response::new_err(
                id,
                ErrorCode::InvalidParams as i32,
                format!("unknown command {}", params.command),
            );
        }
        let Some(meta) = code
            .and_then(crate::rules::registry::find)
            .map(|rule| rule.meta())
        else {
            return Response::new_err(
                id,
                ErrorCode::InvalidParams as i32,
                "expected a rule code".to_string(),
            );
        };
        let file = features::docs_file(meta.code).and_then(|p| Url::from_file_path(p).ok());
        match file {
            Some(uri) if self.show_document => {
                self.request_to_client(
                    lsp_types::request::ShowDocument::METHOD,
                    ShowDocumentParams {
                        uri,
                        external: Some(false),
                        take_focus: Some(true),
                        selection: None,
                    },
                );
            }
            _ => {
                let params = ShowMessageParams {
                    typ: MessageType::INFO,
                    message: format!(
                        "{} {}: {} (`lockgen explain {}` prints the whole documentation)",
                        meta.code,
                        meta.name,
                        meta.summary(),
                        meta.code
                    ),
                };
                self.send(Notification::new(
                    lsp_types::notification::ShowMessage::METHOD.to_string(),
                    params,
                ));
            }
        }
        Response::new_ok(id, Value::Null)
    }
}

fn invalid(id: RequestId, error: impl std::fmt::Debug) -> Response {
    Response::new_err(
        id,
        ErrorCode::InvalidParams as i32,
        format!("invalid parameters: {error:?}"),
    )
}
