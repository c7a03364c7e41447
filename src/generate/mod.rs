//! `lockgen new`: validated requests → typed template contexts → minijinja templates (compiled
//! into the binary, overridable per project) → files, written atomically, never overwritten
//! without `--force`.

pub mod names;
mod templates;
mod write;

use std::fmt::Write as _;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::cli::{
    Generator, LockArgs, NewArgs, OutputArgs, QueueableArgs, TriggerArgs, UpsertArgs,
};
use crate::index::{self, Project};
use crate::metadata::standard::standard_parent_field;
use crate::project::{self, Layout, ProjectError};
use names::{NameError, object_stem};
pub use templates::TEMPLATES;

/// The `apiVersion` of generated `-meta.xml` files when `sfdx-project.json` has no
/// `sourceApiVersion`.
pub const DEFAULT_API_VERSION: &str = "61.0";

/// The platform allows at most five chained re-enqueues from a Finalizer.
pub const MAX_RETRIES: u8 = 5;

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

/// Where the project is and what it knows, for one generation.
struct Target {
    project: Option<Project>,
    root: Option<PathBuf>,
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
    let (output, files) = match generator {
        Generator::Queueable(a) => (&a.output, queueable(a, &target(&a.output)?)?),
        Generator::Lock(a) => (&a.output, lock(a, &target(&a.output)?)?),
        Generator::Upsert(a) => (&a.output, upsert(a, &target(&a.output)?)?),
        Generator::Trigger(a) => (&a.output, trigger(a, &target(&a.output)?)?),
    };
    if output.dry_run {
        let mut text = String::new();
        for file in &files {
            let _ = writeln!(text, "==> {} <==", file.shown);
            text.push_str(&file.content);
            if !file.content.ends_with('\n') {
                text.push('\n');
            }
            text.push('\n');
        }
        write_out(out, &text)?;
        return Ok(());
    }
    write_files(&files, output.force)?;
    let mut text = format!("lockgen: wrote {} files\n", files.len());
    for file in &files {
        let _ = writeln!(text, "  {}", file.shown);
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
    let api_version = discovery
        .source_api_version
        .clone()
        .unwrap_or_else(|| DEFAULT_API_VERSION.to_string());
    let templates = templates::Templates::load(root.as_deref())?;
    Ok(Target {
        project,
        root,
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

    /// Is `field` on `object` defined in this project's metadata?
    fn field(&self, object: &str, field: &str) -> Option<&crate::metadata::FieldMeta> {
        let project = self.project.as_ref()?;
        project
            .fields
            .iter()
            .map(|f| &f.meta)
            .find(|f| f.object.eq_ignore_ascii_case(object) && f.name.eq_ignore_ascii_case(field))
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

// ---- queueable ----

#[derive(Serialize)]
struct QueueableContext {
    name: String,
    test_name: String,
    parent: String,
    parent_init: String,
    child: Option<ChildContext>,
    max_retries: u8,
}

#[derive(Serialize)]
struct ChildContext {
    object: String,
    parent_field: String,
    external_id: Option<String>,
}

fn queueable(args: &QueueableArgs, target: &Target) -> Result<Vec<GeneratedFile>, GenerateError> {
    names::apex_identifier(&args.name)?;
    let test_name = format!("{}Test", args.name);
    names::apex_identifier(&test_name)?;
    names::sobject_name(&args.object)?;
    if args.max_retries > MAX_RETRIES {
        return Err(GenerateError::MaxRetries(args.max_retries));
    }
    let child = match &args.child {
        Some(child) => {
            names::sobject_name(child)?;
            let parent_field = match &args.parent_field {
                Some(field) => {
                    names::field_name(field)?;
                    field.clone()
                }
                None => parent_field(target, child, &args.object)?,
            };
            if let Some(key) = &args.external_id {
                names::field_name(key)?;
            }
            Some(ChildContext {
                object: child.clone(),
                parent_field,
                external_id: args.external_id.clone(),
            })
        }
        None => None,
    };
    let mut command = format!(
        "lockgen new queueable {} --object {}",
        args.name, args.object
    );
    if let Some(child) = &child {
        let _ = write!(
            command,
            " --child {} --parent-field {}",
            child.object, child.parent_field
        );
        if let Some(key) = &child.external_id {
            let _ = write!(command, " --external-id {key}");
        }
    }
    let _ = write!(command, " --max-retries {}", args.max_retries);
    let context = QueueableContext {
        name: args.name.clone(),
        test_name: test_name.clone(),
        parent: args.object.clone(),
        parent_init: required_fields(&args.object),
        child,
        max_retries: args.max_retries,
    };
    target.class_and_test(
        (&args.name, "queueable.cls.jinja"),
        (&test_name, "queueable_test.cls.jinja"),
        &context,
        &command,
    )
}

/// The child's relationship field to the parent: from metadata (a master-detail first), else
/// the standard-object table.
fn parent_field(target: &Target, child: &str, parent: &str) -> Result<String, GenerateError> {
    let mut candidates: Vec<&crate::metadata::FieldMeta> = target
        .project
        .iter()
        .flat_map(|p| p.fields.iter().map(|f| &f.meta))
        .filter(|f| {
            f.object.eq_ignore_ascii_case(child)
                && (f.is_lookup() || f.is_master_detail())
                && f.reference_to
                    .iter()
                    .any(|r| r.eq_ignore_ascii_case(parent))
        })
        .collect();
    candidates.sort_by_key(|f| (!f.is_master_detail(), f.name.to_ascii_lowercase()));
    let masters = candidates.iter().filter(|f| f.is_master_detail()).count();
    match candidates.as_slice() {
        [only] => return Ok(only.name.clone()),
        [first, ..] if masters == 1 => return Ok(first.name.clone()),
        [] => {}
        many => {
            return Err(GenerateError::AmbiguousParentField {
                child: child.to_string(),
                parent: parent.to_string(),
                fields: many
                    .iter()
                    .map(|f| f.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            });
        }
    }
    standard_parent_field(child, parent)
        .map(str::to_string)
        .ok_or_else(|| GenerateError::NoParentField {
            child: child.to_string(),
            parent: parent.to_string(),
        })
}

/// Field assignments that let a test insert a record of a standard object; custom objects
/// get none (add yours to the generated test).
fn required_fields(object: &str) -> String {
    let fields: &[&str] = match object.to_ascii_lowercase().as_str() {
        "account" | "campaign" | "product2" | "pricebook2" | "asset" => &["Name = 'lockgen test'"],
        "contact" => &["LastName = 'lockgen test'"],
        "lead" => &["LastName = 'lockgen test'", "Company = 'lockgen'"],
        "opportunity" => &[
            "Name = 'lockgen test'",
            "StageName = 'Prospecting'",
            "CloseDate = Date.today()",
        ],
        "case" | "task" => &["Subject = 'lockgen test'"],
        _ => &[],
    };
    fields.join(", ")
}

// ---- lock ----

#[derive(Serialize)]
struct LockContext {
    name: String,
    test_name: String,
    object: Option<String>,
    record_object: String,
    record_init: String,
}

fn lock(args: &LockArgs, target: &Target) -> Result<Vec<GeneratedFile>, GenerateError> {
    names::apex_identifier(&args.name)?;
    let test_name = format!("{}Test", args.name);
    names::apex_identifier(&test_name)?;
    if let Some(object) = &args.object {
        names::sobject_name(object)?;
    }
    let mut command = format!("lockgen new lock {}", args.name);
    if let Some(object) = &args.object {
        let _ = write!(command, " --object {object}");
    }
    // The generic service is tested on Accounts.
    let record_object = args.object.clone().unwrap_or_else(|| "Account".to_string());
    let context = LockContext {
        name: args.name.clone(),
        test_name: test_name.clone(),
        object: args.object.clone(),
        record_init: required_fields(&record_object),
        record_object,
    };
    target.class_and_test(
        (&args.name, "lock.cls.jinja"),
        (&test_name, "lock_test.cls.jinja"),
        &context,
        &command,
    )
}

// ---- upsert ----

#[derive(Serialize)]
struct UpsertContext {
    name: String,
    test_name: String,
    object: String,
    field: String,
    record_init: String,
    key_type: &'static str,
    key_1: &'static str,
    key_2: &'static str,
}

#[derive(Serialize)]
struct FieldContext {
    /// The header without the command: XML comments cannot hold `--`.
    header_text: String,
    command: String,
    field: String,
    label: String,
    upsert_class: String,
}

fn upsert(args: &UpsertArgs, target: &Target) -> Result<Vec<GeneratedFile>, GenerateError> {
    names::apex_identifier(&args.name)?;
    let test_name = format!("{}Test", args.name);
    names::apex_identifier(&test_name)?;
    names::sobject_name(&args.object)?;
    names::field_name(&args.external_id)?;
    if args.with_field && target.layout == Layout::MetadataApi && target.root.is_some() {
        return Err(GenerateError::FieldInMetadataLayout(args.object.clone()));
    }
    let mut command = format!(
        "lockgen new upsert {} --object {} --external-id {}",
        args.name, args.object, args.external_id
    );
    if args.with_field {
        command.push_str(" --with-field");
    }
    // A numeric external ID takes numbers as keys; anything else (Text, Email) strings.
    let numeric = !args.with_field
        && target
            .field(&args.object, &args.external_id)
            .and_then(|f| f.field_type.as_deref())
            .is_some_and(|t| t.eq_ignore_ascii_case("Number"));
    let (key_type, key_1, key_2) = if numeric {
        ("Decimal", "1", "2")
    } else {
        ("String", "'K-1'", "'K-2'")
    };
    let context = UpsertContext {
        name: args.name.clone(),
        test_name: test_name.clone(),
        object: args.object.clone(),
        field: args.external_id.clone(),
        record_init: required_fields(&args.object),
        key_type,
        key_1,
        key_2,
    };
    let mut files = target.class_and_test(
        (&args.name, "upsert.cls.jinja"),
        (&test_name, "upsert_test.cls.jinja"),
        &context,
        &command,
    )?;
    if args.with_field {
        let field = FieldContext {
            header_text: format!(
                "Generated by lockgen {} from templates/external_id.field-meta.xml.jinja; the command that regenerates it is in the description.",
                env!("CARGO_PKG_VERSION")
            ),
            command: command.clone(),
            field: args.external_id.clone(),
            label: field_label(&args.external_id),
            upsert_class: args.name.clone(),
        };
        let content = target
            .templates
            .render("external_id.field-meta.xml.jinja", &field)?;
        files.push(target.file(
            &format!("objects/{}/fields", args.object),
            &format!("{}.field-meta.xml", args.external_id),
            content,
        ));
    }
    Ok(files)
}

/// `Legacy_Key__c` → `Legacy Key`.
fn field_label(field: &str) -> String {
    let stem = field.strip_suffix("__c").unwrap_or(field);
    let stem = stem.rsplit("__").next().unwrap_or(stem);
    stem.split('_')
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

// ---- trigger ----

#[derive(Serialize)]
struct TriggerContext {
    trigger_name: String,
    handler_name: String,
    test_name: String,
    object: String,
    record_init: String,
}

fn trigger(args: &TriggerArgs, target: &Target) -> Result<Vec<GeneratedFile>, GenerateError> {
    names::sobject_name(&args.object)?;
    let stem = object_stem(&args.object);
    let trigger_name = format!("{stem}Trigger");
    names::apex_identifier(&trigger_name)?;
    let handler_name = args
        .handler
        .clone()
        .unwrap_or_else(|| format!("{stem}TriggerHandler"));
    names::apex_identifier(&handler_name)?;
    let test_name = format!("{handler_name}Test");
    names::apex_identifier(&test_name)?;
    if !args.output.force
        && let Some(project) = &target.project
    {
        let existing: Vec<String> = project
            .triggers()
            .filter(|t| t.active && t.decl.object.is(&args.object))
            .map(|t| format!("`{}` in {}", t.decl.name.text, project.path(t.file)))
            .collect();
        if !existing.is_empty() {
            return Err(GenerateError::ExistingTriggers {
                object: args.object.clone(),
                triggers: existing.join(", "),
            });
        }
    }
    let mut command = format!("lockgen new trigger {}", args.object);
    if let Some(handler) = &args.handler {
        let _ = write!(command, " --handler {handler}");
    }
    let context = TriggerContext {
        trigger_name: trigger_name.clone(),
        handler_name: handler_name.clone(),
        test_name: test_name.clone(),
        object: args.object.clone(),
        record_init: required_fields(&args.object),
    };
    let meta = target.templates.render(
        "trigger.trigger-meta.xml.jinja",
        &MetaContext {
            api_version: &target.api_version,
        },
    )?;
    let mut files = vec![
        target.file(
            "triggers",
            &format!("{trigger_name}.trigger"),
            target.apex("trigger.trigger.jinja", &context, &command)?,
        ),
        target.file(
            "triggers",
            &format!("{trigger_name}.trigger-meta.xml"),
            meta,
        ),
    ];
    files.extend(target.class_and_test(
        (&handler_name, "trigger_handler.cls.jinja"),
        (&test_name, "trigger_handler_test.cls.jinja"),
        &context,
        &command,
    )?);
    Ok(files)
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
    for (name, files, params) in [
        (
            "queueable NAME --object PARENT",
            "NAME.cls, NAMETest.cls (+ -meta.xml) in classes/",
            "[--child CHILD [--parent-field FIELD] [--external-id FIELD]] [--max-retries N (0-5, default 3)]",
        ),
        (
            "lock NAME",
            "NAME.cls, NAMETest.cls (+ -meta.xml) in classes/",
            "[--object SOBJECT]",
        ),
        (
            "upsert NAME --object SOBJECT --external-id FIELD",
            "NAME.cls, NAMETest.cls (+ -meta.xml); with --with-field objects/SOBJECT/fields/FIELD.field-meta.xml",
            "[--with-field]",
        ),
        (
            "trigger SOBJECT",
            "<Object>Trigger.trigger in triggers/, <Object>TriggerHandler.cls and its test in classes/",
            "[--handler NAME]",
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
        "Templates (override any by copying it to .lockgen/templates/ in the project):\n",
    );
    for (name, _) in TEMPLATES {
        let _ = writeln!(text, "  {name}");
    }
    text
}
