//! `lockgen new`: validated requests → typed template contexts → minijinja templates (compiled
//! into the binary, overridable per project) → files, written atomically, never overwritten
//! without `--force`. Files the team owns (hook classes, the trace object) are written once,
//! when absent, and never overwritten, not even with `--force`.

mod batch;
mod event_retry;
mod job;
mod lock;
pub mod names;
pub mod required_fields;
mod retry;
pub mod schema;
mod templates;
mod trigger;
mod upsert;
pub mod verify;
mod write;

use std::fmt::Write as _;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::cli::{Generator, NewArgs, OutputArgs};
use crate::index::{self, Project};
use crate::project::{self, Layout, ProjectError};
use crate::report::escape::visible;
use names::NameError;
use schema::Schema;
pub use templates::TEMPLATES;

/// The `apiVersion` of generated `-meta.xml` files when `sfdx-project.json` has no
/// `sourceApiVersion`.
pub const DEFAULT_API_VERSION: &str = "61.0";

/// The platform allows at most five chained re-enqueues from a Finalizer.
pub const MAX_RETRIES: u8 = 5;

/// The most parents one job, event or batch scope takes on (Batch Apex's largest scope).
pub const MAX_CHUNK_SIZE: u16 = 2000;

#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum GenerateError {
    #[error(transparent)]
    #[diagnostic(code(lockgen::generate::name))]
    Name(#[from] NameError),

    #[error(
        "no sfdx-project.json or package.xml found at or above {0}: pass --project, or --output-dir to write the files somewhere"
    )]
    #[diagnostic(code(lockgen::generate::no_project))]
    NoProject(String),

    #[error(
        "--max-retries {0} is more than {MAX_RETRIES}, the platform's limit on chained re-enqueues from a Finalizer"
    )]
    #[diagnostic(code(lockgen::generate::max_retries))]
    MaxRetries(u8),

    #[error("--chunk-size {0} is out of range: use 1 to {MAX_CHUNK_SIZE}")]
    #[diagnostic(code(lockgen::generate::chunk_size))]
    ChunkSize(u16),

    #[error(
        "no relationship from `{child}` to `{parent}` in this project's metadata or lockgen's standard-object table: pass --parent-field"
    )]
    #[diagnostic(code(lockgen::generate::parent_field))]
    NoParentField { child: String, parent: String },

    #[error("`{child}` has several relationships to `{parent}` ({fields}): pass --parent-field")]
    #[diagnostic(code(lockgen::generate::parent_field))]
    AmbiguousParentField {
        child: String,
        parent: String,
        fields: String,
    },

    #[error(
        "`{child}.{field}` is not a relationship to `{parent}` (it is {found}): pass the lookup or master-detail field that points at `{parent}`"
    )]
    #[diagnostic(code(lockgen::generate::parent_field))]
    NotARelationship {
        child: String,
        field: String,
        parent: String,
        found: String,
    },

    #[error("`{object}.{field}` is not defined in this project's metadata: {help}")]
    #[diagnostic(code(lockgen::generate::unknown_field))]
    UnknownField {
        object: String,
        field: String,
        help: String,
    },

    #[error(
        "`{object}.{field}` is not an external ID: set <externalId>true</externalId> (and <unique>true</unique>) in its metadata, or pick another field"
    )]
    #[diagnostic(code(lockgen::generate::external_id))]
    NotExternalId { object: String, field: String },

    #[error(
        "`{object}.{field}` is a {kind}: the job keys each child by its parent's Id, so the external ID must be a text field"
    )]
    #[diagnostic(code(lockgen::generate::external_id))]
    KeyType {
        object: String,
        field: String,
        kind: String,
    },

    #[error("`{object}` is both parent and child: pass a child object other than the parent")]
    #[diagnostic(code(lockgen::generate::same_object))]
    SameObject { object: String },

    #[error("lockgen cannot create `{object}` records: {why}")]
    #[diagnostic(code(lockgen::generate::unsupported_object))]
    UnsupportedRecords { object: String, why: String },

    #[error(
        "`{object}.{field}` is a required relationship to `{target}` that the job cannot fill: lockgen only knows the parent; use another child object"
    )]
    #[diagnostic(code(lockgen::generate::required_reference))]
    RequiredReference {
        object: String,
        field: String,
        target: String,
    },

    #[error("`{object}.{field}` is required and {kind}: lockgen has no value for it")]
    #[diagnostic(code(lockgen::generate::required_field))]
    UnsupportedRequired {
        object: String,
        field: String,
        kind: String,
    },

    #[error(
        "`{object}` already has active triggers ({triggers}): a second one is LCK001; add to the existing trigger's handler, or pass --force"
    )]
    #[diagnostic(code(lockgen::generate::existing_trigger))]
    ExistingTriggers { object: String, triggers: String },

    #[error(
        "{0} exists already: pass --force to overwrite it (or --dry-run to see the new content)"
    )]
    #[diagnostic(code(lockgen::generate::exists))]
    Exists(String),

    #[error(
        "this project uses the metadata API layout, where fields live in `objects/{0}.object`: add the field there instead of --with-field"
    )]
    #[diagnostic(code(lockgen::generate::layout))]
    FieldInMetadataLayout(String),

    #[error("template {name}: {message}")]
    #[diagnostic(code(lockgen::generate::template))]
    Template { name: String, message: String },

    #[error("cannot write {path}: {source}")]
    #[diagnostic(code(lockgen::generate::write))]
    Write {
        path: String,
        #[source]
        source: std::io::Error,
    },

    #[error(transparent)]
    #[diagnostic(transparent)]
    Project(#[from] ProjectError),

    #[error(transparent)]
    #[diagnostic(transparent)]
    Load(#[from] index::LoadError),
}

/// One file to write: where, shown as, and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedFile {
    pub path: PathBuf,
    /// Relative to the project root (or as the output folder was given), `/`-separated.
    pub shown: String,
    pub content: String,
}

/// What one generator produces.
#[derive(Debug, Default)]
pub(crate) struct Generated {
    /// lockgen's files: regenerated on request (`--force`).
    pub files: Vec<GeneratedFile>,
    /// The team's files (hook classes and their tests, the trace object): written when absent,
    /// never overwritten.
    pub owned: Vec<GeneratedFile>,
}

/// Where the project is and what it knows, for one generation.
pub(crate) struct Target {
    project: Option<Project>,
    root: Option<PathBuf>,
    /// Folders that hold the project's source: its package directories, and the output folder.
    source_dirs: Vec<PathBuf>,
    /// `<package>/main/default`, `src`, or `--output-dir`.
    base: PathBuf,
    base_shown: String,
    layout: Layout,
    api_version: String,
    templates: templates::Templates,
}

pub fn run(args: &NewArgs, out: &mut dyn Write, err: &mut dyn Write) -> Result<(), GenerateError> {
    let Some(generator) = &args.generator else {
        write_out(out, &list())?;
        return Ok(());
    };
    let (output, generated) = match generator {
        Generator::Queueable(a) => (&a.output, job::queueable(a, &target(&a.output)?)?),
        Generator::Batch(a) => (&a.output, batch::batch(a, &target(&a.output)?)?),
        Generator::EventRetry(a) => (&a.output, event_retry::event_retry(a, &target(&a.output)?)?),
        Generator::Lock(a) => (&a.output, lock::lock(a, &target(&a.output)?)?),
        Generator::Upsert(a) => (&a.output, upsert::upsert(a, &target(&a.output)?)?),
        Generator::Trigger(a) => (&a.output, trigger::trigger(a, &target(&a.output)?)?),
    };
    if !output.dry_run {
        write::recover_interrupted(&generated.files);
    }
    // The team's files are never overwritten: those that exist (even as a dangling link) stay.
    let (kept, owned): (Vec<GeneratedFile>, Vec<GeneratedFile>) = generated
        .owned
        .into_iter()
        .partition(|f| f.path.symlink_metadata().is_ok());
    if output.dry_run {
        let mut text = String::new();
        for (file, note) in generated.files.iter().map(|f| (f, "")).chain(
            owned
                .iter()
                .map(|f| (f, " (yours: written once, never overwritten)")),
        ) {
            let _ = writeln!(text, "==> {}{note} <==", visible(&file.shown));
            text.push_str(&file.content);
            if !file.content.ends_with('\n') {
                text.push('\n');
            }
            text.push('\n');
        }
        for file in &kept {
            let _ = writeln!(
                text,
                "==> {} (yours: exists, kept) <==\n",
                visible(&file.shown)
            );
        }
        write_out(out, &text)?;
        return Ok(());
    }
    let mut files = generated.files;
    let written = files.len() + owned.len();
    files.extend(owned);
    write_files(&files, output.force)?;
    let mut text = format!("lockgen: wrote {written} files\n");
    for file in &files {
        let _ = writeln!(text, "  {}", visible(&file.shown));
    }
    if !kept.is_empty() {
        let _ = writeln!(text, "lockgen: kept {} files of yours", kept.len());
        for file in &kept {
            let _ = writeln!(text, "  {}", visible(&file.shown));
        }
    }
    write_out(out, &text)?;
    let _ = err.flush();
    Ok(())
}

fn write_out(out: &mut dyn Write, text: &str) -> Result<(), GenerateError> {
    match out.write_all(text.as_bytes()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(GenerateError::Write {
            path: "standard output".to_string(),
            source: e,
        }),
        _ => Ok(()),
    }
}

/// Discover the project (when there is one) and decide where files go.
fn target(output: &OutputArgs) -> Result<Target, GenerateError> {
    let discovery = project::discover(std::slice::from_ref(&output.project))?;
    let has_project = discovery.layout != Layout::Bare;
    let (project, root) = if has_project {
        (Some(index::load(&discovery)?), Some(discovery.root.clone()))
    } else {
        (None, None)
    };
    let (base, base_shown) = match (&output.output_dir, &root) {
        (Some(dir), _) => (dir.clone(), slash(dir)),
        (None, Some(root)) => {
            let package = discovery
                .default_package_dir
                .clone()
                .or_else(|| discovery.package_dirs.first().cloned())
                .unwrap_or_else(|| ".".to_string());
            let relative = match discovery.layout {
                Layout::MetadataApi => package,
                _ if package == "." => "main/default".to_string(),
                _ => format!("{package}/main/default"),
            };
            let shown = display_join(&discovery.display_root, &relative);
            (root.join(&relative), shown)
        }
        (None, None) => return Err(GenerateError::NoProject(slash(&output.project))),
    };
    let mut source_dirs: Vec<PathBuf> = match &root {
        Some(root) => discovery
            .package_dirs
            .iter()
            .map(|d| root.join(d))
            .collect(),
        None => Vec::new(),
    };
    source_dirs.push(base.clone());
    let api_version = discovery
        .source_api_version
        .clone()
        .unwrap_or_else(|| DEFAULT_API_VERSION.to_string());
    let templates = templates::Templates::load(root.as_deref())?;
    Ok(Target {
        project,
        root,
        source_dirs,
        base,
        base_shown,
        layout: discovery.layout,
        api_version,
        templates,
    })
}

fn slash(path: &Path) -> String {
    path.to_string_lossy().replace('\\', "/")
}

fn display_join(root: &str, relative: &str) -> String {
    if root == "." {
        relative.to_string()
    } else {
        format!("{}/{relative}", root.trim_end_matches('/'))
    }
}

impl Target {
    fn file(&self, folder: &str, name: &str, content: String) -> GeneratedFile {
        GeneratedFile {
            path: self.base.join(folder).join(name),
            shown: format!("{}/{folder}/{name}", self.base_shown.trim_end_matches('/')),
            content,
        }
    }

    /// What the project's metadata and lockgen's tables say about objects and fields.
    fn schema(&self) -> Schema<'_> {
        let dirs: Vec<&Path> = self.source_dirs.iter().map(PathBuf::as_path).collect();
        Schema::new(self.project.as_ref(), &dirs)
    }

    /// Render an Apex template under its one-line "generated by" header.
    fn apex<C: Serialize>(
        &self,
        template: &str,
        context: &C,
        command: &str,
    ) -> Result<String, GenerateError> {
        Ok(format!(
            "{}\n{}",
            header(template, command),
            self.templates.render(template, context)?
        ))
    }

    /// Render an Apex template the team owns after this first writing.
    fn owned_apex<C: Serialize>(
        &self,
        template: &str,
        context: &C,
    ) -> Result<String, GenerateError> {
        Ok(format!(
            "// Generated once by lockgen {} from templates/{template}; yours from now on: lockgen never overwrites it.\n{}",
            env!("CARGO_PKG_VERSION"),
            self.templates.render(template, context)?
        ))
    }

    /// A class and its test class (each with its `-meta.xml`) from one context.
    fn class_and_test<C: Serialize>(
        &self,
        (name, template): (&str, &str),
        (test_name, test_template): (&str, &str),
        context: &C,
        command: &str,
    ) -> Result<Vec<GeneratedFile>, GenerateError> {
        let mut files = self.class(name, self.apex(template, context, command)?)?;
        files.extend(self.class(test_name, self.apex(test_template, context, command)?)?);
        Ok(files)
    }

    /// A class and its `-meta.xml`.
    fn class(&self, name: &str, content: String) -> Result<Vec<GeneratedFile>, GenerateError> {
        let meta = self.templates.render(
            "class.cls-meta.xml.jinja",
            &MetaContext {
                api_version: &self.api_version,
            },
        )?;
        Ok(vec![
            self.file("classes", &format!("{name}.cls"), content),
            self.file("classes", &format!("{name}.cls-meta.xml"), meta),
        ])
    }

    /// A trigger and its `-meta.xml`.
    fn trigger_file(
        &self,
        name: &str,
        content: String,
    ) -> Result<Vec<GeneratedFile>, GenerateError> {
        let meta = self.templates.render(
            "trigger.trigger-meta.xml.jinja",
            &MetaContext {
                api_version: &self.api_version,
            },
        )?;
        Ok(vec![
            self.file("triggers", &format!("{name}.trigger"), content),
            self.file("triggers", &format!("{name}.trigger-meta.xml"), meta),
        ])
    }
}

fn header(template: &str, command: &str) -> String {
    format!(
        "// Generated by lockgen {} from templates/{template}. Regenerate: {command}",
        env!("CARGO_PKG_VERSION")
    )
}

#[derive(Serialize)]
struct MetaContext<'a> {
    api_version: &'a str,
}

// ---- writing ----

/// Write every file or none (see [`write`]): refuse if any exists (without `--force`), stage
/// each in a temporary file created exclusively beside it, then rename them all into place;
/// a failure part-way undoes what was done, and no folder below the project root is followed
/// through a link.
pub fn write_files(files: &[GeneratedFile], force: bool) -> Result<(), GenerateError> {
    write::write_all(files, force)
}

/// `lockgen new --list`.
fn list() -> String {
    let mut text = String::from("Generators (lockgen new <generator> …):\n\n");
    let retry = "[--max-retries N (0-5, default 3)] [--chunk-size N (1-2000, default 200)] [--trace log|event (default log)]";
    for (name, files, params) in [
        (
            "queueable NAME --object PARENT",
            "NAME.cls, NAMETest.cls (+ -meta.xml) in classes/; once: NAMEHooks.cls and its test, the trace object",
            format!("[--child CHILD [--parent-field FIELD] [--external-id FIELD]] {retry}"),
        ),
        (
            "batch NAME --object PARENT",
            "NAME.cls, NAMETest.cls (+ -meta.xml) in classes/; once: NAMEHooks.cls and its test, the trace object",
            format!("[--child CHILD [--parent-field FIELD]] {retry}"),
        ),
        (
            "event-retry NAME --object PARENT",
            "NAME.cls, NAMETest.cls, the platform event NAME__e and its trigger; once: NAMEHooks.cls and its test, the trace object",
            format!("[--child CHILD [--parent-field FIELD] [--external-id FIELD]] {retry}"),
        ),
        (
            "lock NAME",
            "NAME.cls, NAMETest.cls (+ -meta.xml) in classes/",
            "[--object SOBJECT]".to_string(),
        ),
        (
            "upsert NAME --object SOBJECT --external-id FIELD",
            "NAME.cls, NAMETest.cls (+ -meta.xml); with --with-field objects/SOBJECT/fields/FIELD.field-meta.xml",
            "[--with-field]".to_string(),
        ),
        (
            "trigger SOBJECT",
            "<Object>Trigger.trigger in triggers/, <Object>TriggerHandler.cls and its test in classes/; once: the handler's Hooks class and its test",
            "[--handler NAME]".to_string(),
        ),
    ] {
        let _ = writeln!(
            text,
            "  {name}\n      writes: {files}\n      options: {params}\n"
        );
    }
    text.push_str(
        "Every generator takes --dry-run, --force, --output-dir DIR and --project DIR.\n",
    );
    text.push_str(
        "Files marked \"once\" are your team's: written when absent, never overwritten (not even with --force).\n",
    );
    text.push_str(
        "Templates (override any by copying it to .lockgen/templates/ in the project):\n",
    );
    for (name, _) in TEMPLATES {
        let _ = writeln!(text, "  {name}");
    }
    text
}
