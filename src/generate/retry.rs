//! The retry contract shared by the queueable, batch and event-retry generators: how often a
//! lock failure is retried, how many parents one run takes on, and where giving up leaves its
//! durable trace; plus the metadata of the objects that contract needs (the trace object, a
//! job's platform event).

use serde::Serialize;

use super::{GenerateError, GeneratedFile, MAX_CHUNK_SIZE, MAX_RETRIES, Target};
use crate::cli::{RetryArgs, Trace};
use crate::project::Layout;

/// The custom object a give-up is recorded in (`--trace log`, the default).
pub const LOG_OBJECT: &str = "Lockgen_Log__c";
/// The platform event a give-up is published as (`--trace event`).
pub const EVENT_OBJECT: &str = "Lockgen_Give_Up__e";

#[derive(Debug, Clone, Serialize)]
pub struct RetryContext {
    pub max_retries: u8,
    pub chunk_size: u16,
    pub trace_event: bool,
    pub trace_object: &'static str,
}

impl RetryContext {
    pub fn new(args: &RetryArgs) -> Result<RetryContext, GenerateError> {
        if args.max_retries > MAX_RETRIES {
            return Err(GenerateError::MaxRetries(args.max_retries));
        }
        if args.chunk_size == 0 || args.chunk_size > MAX_CHUNK_SIZE {
            return Err(GenerateError::ChunkSize(args.chunk_size));
        }
        let trace_event = args.trace == Trace::Event;
        Ok(RetryContext {
            max_retries: args.max_retries,
            chunk_size: args.chunk_size,
            trace_event,
            trace_object: if trace_event {
                EVENT_OBJECT
            } else {
                LOG_OBJECT
            },
        })
    }

    /// The options as the regenerate command spells them.
    pub fn command(&self) -> String {
        format!(
            " --max-retries {} --chunk-size {} --trace {}",
            self.max_retries,
            self.chunk_size,
            if self.trace_event { "event" } else { "log" }
        )
    }
}

/// An object lockgen writes the metadata of.
#[derive(Debug, Clone, Serialize)]
pub struct ObjectSpec {
    pub name: String,
    pub label: String,
    pub plural_label: String,
    pub description: String,
    /// A platform event (`__e`), else a custom object with an auto-number name.
    pub event: bool,
    pub publish_behavior: &'static str,
    pub number_format: &'static str,
    pub fields: Vec<FieldSpec>,
}

#[derive(Debug, Clone, Serialize)]
pub struct FieldSpec {
    pub name: &'static str,
    pub label: &'static str,
    pub description: &'static str,
    pub field_type: &'static str,
    pub length: Option<u32>,
    pub precision: Option<u32>,
    pub visible_lines: Option<u32>,
}

const LONG_TEXT: u32 = 131_072;

fn text(
    name: &'static str,
    label: &'static str,
    description: &'static str,
    length: u32,
) -> FieldSpec {
    FieldSpec {
        name,
        label,
        description,
        field_type: "Text",
        length: Some(length),
        precision: None,
        visible_lines: None,
    }
}

fn long_text(name: &'static str, label: &'static str, description: &'static str) -> FieldSpec {
    FieldSpec {
        name,
        label,
        description,
        field_type: "LongTextArea",
        length: Some(LONG_TEXT),
        precision: None,
        visible_lines: Some(3),
    }
}

fn number(
    name: &'static str,
    label: &'static str,
    description: &'static str,
    digits: u32,
) -> FieldSpec {
    FieldSpec {
        name,
        label,
        description,
        field_type: "Number",
        length: None,
        precision: Some(digits),
        visible_lines: None,
    }
}

/// The trace object of this contract: its fields are what the generated `trace()` writes.
pub fn trace_object(retry: &RetryContext) -> ObjectSpec {
    let fields = vec![
        number(
            "Attempts__c",
            "Attempts",
            "How many times the work was tried before this outcome.",
            3,
        ),
        text(
            "Outcome__c",
            "Outcome",
            "What happened: gave up on a lock, failed for another reason, or a retry could not be enqueued.",
            80,
        ),
        long_text(
            "Reason__c",
            "Reason",
            "The last error, as the platform reported it.",
        ),
        long_text(
            "Record_Ids__c",
            "Record Ids",
            "The Ids of the records whose work was not done, comma-separated.",
        ),
        text("Source__c", "Source", "The Apex class that gave up.", 80),
    ];
    if retry.trace_event {
        ObjectSpec {
            name: EVENT_OBJECT.to_string(),
            label: "Lockgen Give Up".to_string(),
            plural_label: "Lockgen Give Ups".to_string(),
            description: "Published (immediately, so a rollback cannot take it back) when lockgen-generated Apex gives up on records: subscribe with a flow, a trigger or an external system. Written once by lockgen; yours to change.".to_string(),
            event: true,
            publish_behavior: "PublishImmediately",
            number_format: "",
            fields,
        }
    } else {
        ObjectSpec {
            name: LOG_OBJECT.to_string(),
            label: "Lockgen Log".to_string(),
            plural_label: "Lockgen Logs".to_string(),
            description: "One record each time lockgen-generated Apex gives up on records: report and alert on it. Written once by lockgen; yours to change.".to_string(),
            event: false,
            publish_behavior: "",
            number_format: "LOG-{0000000}",
            fields,
        }
    }
}

#[derive(Serialize)]
struct ObjectContext<'a> {
    object: &'a ObjectSpec,
    inline: bool,
}

#[derive(Serialize)]
struct FieldContext<'a> {
    field: &'a FieldSpec,
}

/// The metadata files of an object: `objects/<Name>/…-meta.xml` in source format, one
/// `objects/<Name>.object` in the metadata API format.
pub fn object_files(
    target: &Target,
    object: &ObjectSpec,
) -> Result<Vec<GeneratedFile>, GenerateError> {
    let render = |inline| {
        target.templates.render(
            "custom_object.object-meta.xml.jinja",
            &ObjectContext { object, inline },
        )
    };
    if target.layout == Layout::MetadataApi && target.root.is_some() {
        return Ok(vec![target.file(
            "objects",
            &format!("{}.object", object.name),
            render(true)?,
        )]);
    }
    let folder = format!("objects/{}", object.name);
    let mut files = vec![target.file(
        &folder,
        &format!("{}.object-meta.xml", object.name),
        render(false)?,
    )];
    for field in &object.fields {
        files.push(
            target.file(
                &format!("{folder}/fields"),
                &format!("{}.field-meta.xml", field.name),
                target
                    .templates
                    .render("custom_field.field-meta.xml.jinja", &FieldContext { field })?,
            ),
        );
    }
    Ok(files)
}

/// The trace object's metadata, unless the project defines the object already.
pub fn trace_files(
    target: &Target,
    retry: &RetryContext,
) -> Result<Vec<GeneratedFile>, GenerateError> {
    if target.schema().defines(retry.trace_object) {
        return Ok(Vec::new());
    }
    object_files(target, &trace_object(retry))
}
