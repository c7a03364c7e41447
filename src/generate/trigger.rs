//! `lockgen new trigger`: the one trigger of an object, a handler that dispatches each context to
//! the team's hooks class (written once, never overwritten).

use std::fmt::Write as _;

use serde::Serialize;

use super::job::Hook;
use super::names::object_stem;
use super::required_fields::undeletable;
use super::schema::{Records, Sequence};
use super::{GenerateError, Generated, Target, names};
use crate::cli::TriggerArgs;

#[derive(Serialize)]
struct TriggerContext {
    trigger_name: String,
    handler_name: String,
    test_name: String,
    hooks_name: String,
    hooks_test_name: String,
    /// The hooks templates name the class they extend `name`.
    name: String,
    object: String,
    records: Records,
    undeletable: bool,
    hooks: Vec<Hook>,
    hooks_test_lines: Vec<String>,
}

pub fn trigger(args: &TriggerArgs, target: &Target) -> Result<Generated, GenerateError> {
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
    let hooks_name = format!("{handler_name}Hooks");
    names::apex_identifier(&hooks_name)?;
    let hooks_test_name = format!("{hooks_name}Test");
    names::apex_identifier(&hooks_test_name)?;
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
    let (hooks, hooks_test_lines) = hooks(&args.object);
    let context = TriggerContext {
        trigger_name: trigger_name.clone(),
        handler_name: handler_name.clone(),
        test_name: test_name.clone(),
        hooks_name: hooks_name.clone(),
        hooks_test_name: hooks_test_name.clone(),
        name: handler_name.clone(),
        object: args.object.clone(),
        records: target
            .schema()
            .test_records(&args.object, &[], Sequence::Loop)?,
        undeletable: undeletable(&args.object),
        hooks,
        hooks_test_lines,
    };
    let mut files = target.trigger_file(
        &trigger_name,
        target.apex("trigger.trigger.jinja", &context, &command)?,
    )?;
    files.extend(target.class_and_test(
        (&handler_name, "trigger_handler.cls.jinja"),
        (&test_name, "trigger_handler_test.cls.jinja"),
        &context,
        &command,
    )?);
    let mut owned = target.class(&hooks_name, target.owned_apex("hooks.cls.jinja", &context)?)?;
    owned.extend(target.class(
        &hooks_test_name,
        target.owned_apex("hooks_test.cls.jinja", &context)?,
    )?);
    Ok(Generated { files, owned })
}

/// Every trigger context, each a no-op the team overrides.
fn hooks(object: &str) -> (Vec<Hook>, Vec<String>) {
    let list = format!("List<{object}>");
    let map = format!("Map<Id, {object}>");
    let contexts = [
        (
            "beforeInsert",
            format!("{list} newRecords"),
            "new records, before they are saved: set fields here, no DML",
        ),
        (
            "beforeUpdate",
            format!("{list} newRecords, {map} oldRecords"),
            "changed records, before they are saved: set fields here, no DML",
        ),
        (
            "beforeDelete",
            format!("{map} oldRecords"),
            "records about to be deleted: addError() to stop it",
        ),
        (
            "afterInsert",
            format!("{map} newRecords"),
            "saved new records: write related records here, once, after the loop",
        ),
        (
            "afterUpdate",
            format!("{map} newRecords, {map} oldRecords"),
            "saved changes: write related records here, once, after the loop",
        ),
        (
            "afterDelete",
            format!("{map} oldRecords"),
            "deleted records",
        ),
        (
            "afterUndelete",
            format!("{map} newRecords"),
            "restored records",
        ),
    ];
    let hooks = contexts
        .iter()
        .map(|(method, params, doc)| Hook {
            doc: format!("{}{}.", doc[..1].to_uppercase(), &doc[1..]),
            signature: format!("void {method}({params})"),
            default_body: "return;".to_string(),
        })
        .collect();
    let lines = vec![
        format!("{list} none = new {list}();"),
        format!("{map} noIds = new {map}();"),
        "hooks.beforeInsert(none);".to_string(),
        "hooks.beforeUpdate(none, noIds);".to_string(),
        "hooks.beforeDelete(noIds);".to_string(),
        "hooks.afterInsert(noIds);".to_string(),
        "hooks.afterUpdate(noIds, noIds);".to_string(),
        "hooks.afterDelete(noIds);".to_string(),
        "hooks.afterUndelete(noIds);".to_string(),
        "Assert.isTrue(none.isEmpty() && noIds.isEmpty(), 'the defaults change nothing');"
            .to_string(),
    ];
    (hooks, lines)
}
