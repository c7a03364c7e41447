//! What the three job generators share (queueable, batch, event-retry): the validated request,
//! the template context, the team's hooks class; and the queueable generator itself.

use std::fmt::Write as _;

use serde::Serialize;

use super::retry::{RetryContext, trace_files};
use super::schema::{Records, Sequence};
use super::{GenerateError, Generated, Target, names};
use crate::cli::{JobArgs, QueueableArgs, RetryArgs};

/// The context of every job template (class, test, hooks, hooks test).
#[derive(Debug, Serialize)]
pub struct JobContext {
    pub name: String,
    pub test_name: String,
    pub hooks_name: String,
    pub hooks_test_name: String,
    pub parent: String,
    pub child: Option<ChildContext>,
    pub retry: RetryContext,
    /// Unsaved parents in a test (`Integer i` in scope), with what they need inserted first.
    pub parent_records: Records,
    /// The hooks the team's class overrides, and how its test calls them.
    pub hooks: Vec<Hook>,
    pub hooks_test_lines: Vec<String>,
    /// The event-retry job's platform event and trigger.
    pub event: Option<EventContext>,
}

#[derive(Debug, Serialize)]
pub struct ChildContext {
    pub object: String,
    pub parent_field: String,
    pub external_id: Option<String>,
    /// The fields the job sets on each new child (besides the relationship and the key).
    pub job: Records,
    /// Unsaved children of `parentId` in a test (`Integer i` in scope).
    pub records: Records,
}

#[derive(Debug, Serialize)]
pub struct EventContext {
    pub object: String,
    pub trigger_name: String,
}

/// One overridable method of a job's `Hooks` class.
#[derive(Debug, Serialize)]
pub struct Hook {
    pub doc: String,
    pub signature: String,
    pub default_body: String,
}

/// Which generator a job request is for: what it writes differs a little.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobKind {
    Queueable,
    Batch,
    EventRetry,
}

/// Validate a job request against names and metadata, and build its context and the tail of
/// its regenerate command.
pub fn job_context(
    target: &Target,
    job: &JobArgs,
    external_id: Option<&str>,
    retry: &RetryArgs,
    kind: JobKind,
) -> Result<(JobContext, String), GenerateError> {
    names::apex_identifier(&job.name)?;
    let test_name = format!("{}Test", job.name);
    names::apex_identifier(&test_name)?;
    let hooks_name = format!("{}Hooks", job.name);
    names::apex_identifier(&hooks_name)?;
    let hooks_test_name = format!("{hooks_name}Test");
    names::apex_identifier(&hooks_test_name)?;
    names::sobject_name(&job.object)?;
    let retry = RetryContext::new(retry)?;
    let schema = target.schema();
    let mut command = format!(" --object {}", job.object);
    let child = match &job.child {
        Some(child) => {
            names::sobject_name(child)?;
            if child.eq_ignore_ascii_case(&job.object) {
                return Err(GenerateError::SameObject {
                    object: child.clone(),
                });
            }
            let parent_field = match &job.parent_field {
                Some(field) => {
                    names::field_name(field)?;
                    schema.check_relationship(child, field, &job.object)?;
                    field.clone()
                }
                None => schema.parent_field(child, &job.object)?,
            };
            if let Some(key) = external_id {
                names::field_name(key)?;
                let field = schema.check_external_id(
                    child,
                    key,
                    "add it as an external ID (unique) to the project's metadata",
                )?;
                if let Some(field) = field {
                    let text = ["text", "email"]
                        .iter()
                        .any(|t| field.field_type.eq_ignore_ascii_case(t));
                    if !text {
                        return Err(GenerateError::KeyType {
                            object: child.clone(),
                            field: key.to_string(),
                            kind: format!("{} field", field.field_type),
                        });
                    }
                }
            }
            let mut preset = vec![parent_field.as_str()];
            preset.extend(external_id);
            let job_fields = schema.job_fields(child, &preset)?;
            let records = schema.test_records(child, &[parent_field.as_str()], Sequence::Loop)?;
            let _ = write!(command, " --child {child} --parent-field {parent_field}");
            if let Some(key) = external_id {
                let _ = write!(command, " --external-id {key}");
            }
            Some(ChildContext {
                object: child.clone(),
                parent_field,
                external_id: external_id.map(str::to_string),
                job: job_fields,
                records,
            })
        }
        None => None,
    };
    command.push_str(&retry.command());
    let parent_records = schema.test_records(&job.object, &[], Sequence::Loop)?;
    let (hooks, hooks_test_lines) = hooks(&job.name, &job.object, child.as_ref(), kind);
    let event = (kind == JobKind::EventRetry).then(|| EventContext {
        object: format!("{}__e", job.name),
        trigger_name: format!("{}Trigger", job.name),
    });
    Ok((
        JobContext {
            name: job.name.clone(),
            test_name,
            hooks_name,
            hooks_test_name,
            parent: job.object.clone(),
            child,
            retry,
            parent_records,
            hooks,
            hooks_test_lines,
            event,
        },
        command,
    ))
}

/// The hooks a job's team overrides, and the lines of the test of their defaults.
fn hooks(
    name: &str,
    parent: &str,
    child: Option<&ChildContext>,
    kind: JobKind,
) -> (Vec<Hook>, Vec<String>) {
    let mut hooks = Vec::new();
    let mut lines = Vec::new();
    match (child, kind) {
        (Some(child), JobKind::Batch) => {
            let c = &child.object;
            hooks.push(Hook {
                doc: format!("Changes the {c} records of one scope (their parents are locked) and returns those to update."),
                signature: format!("List<{c}> applyChanges(List<{c}> children)"),
                default_body: format!("return new List<{c}>();"),
            });
            lines.push(format!(
                "Assert.isTrue(hooks.applyChanges(new List<{c}>{{ new {c}() }}).isEmpty(), 'no changes by default');"
            ));
        }
        (Some(child), _) => {
            let c = &child.object;
            hooks.push(Hook {
                doc: format!("Sets your fields on a new {c}: the relationship and the required fields are set already."),
                signature: format!("void fillChild({parent} parent, {c} child)"),
                default_body: "return;".to_string(),
            });
            lines.push(format!("{c} child = new {c}();"));
            lines.push(format!("hooks.fillChild(new {parent}(), child);"));
            lines.push(format!(
                "Assert.areEqual(new {c}(), child, 'no fields set by default');"
            ));
        }
        (None, _) => {
            hooks.push(Hook {
                doc: format!("Changes the locked {parent} records and returns those to update."),
                signature: format!("List<{parent}> applyChanges(List<{parent}> parents)"),
                default_body: format!("return new List<{parent}>();"),
            });
            lines.push(format!(
                "Assert.isTrue(hooks.applyChanges(new List<{parent}>{{ new {parent}() }}).isEmpty(), 'no changes by default');"
            ));
        }
    }
    hooks.push(Hook {
        doc: format!(
            "Runs after {name} left its durable trace for records it gave up on: alert someone, open a case."
        ),
        signature: "void onGiveUp(Set<Id> parentIds, String outcome, String reason)".to_string(),
        default_body: "return;".to_string(),
    });
    lines.push("hooks.onGiveUp(new Set<Id>(), 'Gave up: still locked', 'a test');".to_string());
    lines.push(format!(
        "Assert.isInstanceOfType(hooks, {name}.Hooks.class, 'the hooks {name} calls');"
    ));
    (hooks, lines)
}

/// A job's class and its test (`{template}.cls.jinja`, `{template}_test.cls.jinja`), and the
/// files it owns: what `new queueable`, `new batch` and `new event-retry` all write.
pub fn job_files(
    target: &Target,
    context: &JobContext,
    template: &str,
    command: &str,
) -> Result<Generated, GenerateError> {
    let files = target.class_and_test(
        (&context.name, &format!("{template}.cls.jinja")),
        (&context.test_name, &format!("{template}_test.cls.jinja")),
        context,
        command,
    )?;
    Ok(Generated {
        files,
        owned: owned_files(target, context)?,
    })
}

/// The team's hooks class and its test, and the trace object: written once, never overwritten.
fn owned_files(
    target: &Target,
    context: &JobContext,
) -> Result<Vec<super::GeneratedFile>, GenerateError> {
    let mut owned = target.class(
        &context.hooks_name,
        target.owned_apex("hooks.cls.jinja", context)?,
    )?;
    owned.extend(target.class(
        &context.hooks_test_name,
        target.owned_apex("hooks_test.cls.jinja", context)?,
    )?);
    owned.extend(trace_files(target, &context.retry)?);
    Ok(owned)
}

pub fn queueable(args: &QueueableArgs, target: &Target) -> Result<Generated, GenerateError> {
    let (context, tail) = job_context(
        target,
        &args.job,
        args.external_id.as_deref(),
        &args.retry,
        JobKind::Queueable,
    )?;
    let command = format!("lockgen new queueable {}{tail}", args.job.name);
    job_files(target, &context, "queueable", &command)
}
