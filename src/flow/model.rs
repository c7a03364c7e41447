//! The owned model of one flow file (`flows/*.flow-meta.xml` or `flows/*.flow`): its start,
//! its elements with their connectors, record writes, loops, subflows and Apex actions, and
//! its variables. Built once by `flow::parse`; the index and rules read only this.

use serde::{Deserialize, Serialize};

use crate::apex::Span;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum FlowStatus {
    Active,
    Draft,
    Obsolete,
    InvalidDraft,
    /// A status lockgen does not know (kept so that nothing is assumed to run).
    Other,
}

impl FlowStatus {
    pub fn parse(text: &str) -> FlowStatus {
        match text.trim().to_ascii_lowercase().as_str() {
            "active" => FlowStatus::Active,
            "draft" => FlowStatus::Draft,
            "obsolete" => FlowStatus::Obsolete,
            "invaliddraft" => FlowStatus::InvalidDraft,
            _ => FlowStatus::Other,
        }
    }
}

/// How a flow starts, from `<start>` (or, for Process Builder, its process metadata).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Start {
    /// The SObject a record-triggered or platform-event-triggered flow runs on.
    pub object: Option<String>,
    /// `RecordAfterSave`, `RecordBeforeSave`, `RecordBeforeDelete`, `PlatformEvent`,
    /// `Scheduled`, …
    pub trigger_type: Option<String>,
    /// `Create`, `Update`, `CreateAndUpdate`, `Delete`.
    pub record_trigger_type: Option<String>,
    /// The first element of the immediate path.
    pub connector: Option<String>,
    pub scheduled_paths: Vec<ScheduledPath>,
    /// A schedule-triggered flow's `<schedule><frequency>` (`Once`, `Daily`, `Weekly`).
    pub frequency: Option<String>,
    /// The `<start>` element (or the flow's root for Process Builder).
    pub span: Span,
    /// The `<object>` line of `<start>`, where messages about what the flow runs on point.
    pub object_span: Option<Span>,
}

impl Start {
    /// One line to point at: the `<object>` line, else where the start begins.
    pub fn line_span(&self) -> Span {
        self.object_span.unwrap_or(Span::new(
            self.span.start as usize,
            self.span.start as usize,
        ))
    }
}

/// A path that runs later, in its own transaction: `AsyncAfterCommit`, or a time offset.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ScheduledPath {
    pub name: String,
    pub label: String,
    /// `<pathType>AsyncAfterCommit</pathType>`: "Run Asynchronously", right after the save.
    pub after_commit: bool,
    pub connector: Option<String>,
    /// The `<name>` line of the path.
    pub span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ElementKind {
    RecordCreate,
    RecordUpdate,
    RecordDelete,
    RecordLookup,
    Loop,
    Subflow,
    ActionCall,
    Other,
}

impl ElementKind {
    pub fn from_tag(tag: &str) -> ElementKind {
        match tag {
            "recordCreates" => ElementKind::RecordCreate,
            "recordUpdates" => ElementKind::RecordUpdate,
            "recordDeletes" => ElementKind::RecordDelete,
            "recordLookups" => ElementKind::RecordLookup,
            "loops" => ElementKind::Loop,
            "subflows" => ElementKind::Subflow,
            "actionCalls" => ElementKind::ActionCall,
            _ => ElementKind::Other,
        }
    }

    /// The name Flow Builder shows for a record write: "Update Records" …
    pub fn builder_name(self) -> &'static str {
        match self {
            ElementKind::RecordCreate => "Create Records",
            ElementKind::RecordUpdate => "Update Records",
            ElementKind::RecordDelete => "Delete Records",
            ElementKind::RecordLookup => "Get Records",
            ElementKind::Loop => "Loop",
            ElementKind::Subflow => "Subflow",
            ElementKind::ActionCall => "Action",
            ElementKind::Other => "element",
        }
    }

    pub fn is_write(self) -> bool {
        matches!(
            self,
            ElementKind::RecordCreate | ElementKind::RecordUpdate | ElementKind::RecordDelete
        )
    }
}

/// One element of the flow's graph.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Element {
    pub name: String,
    pub label: String,
    pub kind: ElementKind,
    /// The `<name>` line, where findings in flows point.
    pub name_span: Span,
    /// Every element this one can go to next (connectors, decision outcomes, fault paths,
    /// a loop's next-value and no-more-values connectors).
    pub targets: Vec<String>,
    /// Loops: the element run for each item.
    pub next_value: Option<String>,
    /// Loops: the collection walked.
    pub collection: Option<String>,
    /// Record writes and lookups: `<object>`, when the element names it.
    pub object: Option<String>,
    /// Record writes: `<inputReference>`, the records written.
    pub input_reference: Option<String>,
    /// Record lookups: `<outputReference>`, and whether the result is stored under the
    /// element's own name.
    pub output_reference: Option<String>,
    pub store_output: bool,
    /// Subflows: the flow run.
    pub flow_name: Option<String>,
    /// Action calls: `<actionType>` and `<actionName>`.
    pub action_type: Option<String>,
    pub action_name: Option<String>,
    /// A fault connector handles this element's errors.
    pub has_fault_path: bool,
}

/// A variable, for resolving what a write's `<inputReference>` holds.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Variable {
    pub name: String,
    /// `<objectType>` of an SObject variable.
    pub object_type: Option<String>,
    pub is_collection: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FlowFile {
    /// The API name: the file name without its extension.
    pub api_name: String,
    pub label: String,
    pub status: FlowStatus,
    pub process_type: Option<String>,
    pub start: Start,
    pub elements: Vec<Element>,
    pub variables: Vec<Variable>,
}

impl FlowFile {
    pub fn element(&self, name: &str) -> Option<(usize, &Element)> {
        self.elements
            .iter()
            .enumerate()
            .find(|(_, e)| e.name.eq_ignore_ascii_case(name))
    }

    pub fn variable(&self, name: &str) -> Option<&Variable> {
        self.variables
            .iter()
            .find(|v| v.name.eq_ignore_ascii_case(name))
    }

    pub fn is_active(&self) -> bool {
        self.status == FlowStatus::Active
    }

    /// Process Builder (`Workflow`): record-triggered on the object its metadata names.
    pub fn is_process_builder(&self) -> bool {
        self.process_type
            .as_deref()
            .is_some_and(|t| t.eq_ignore_ascii_case("Workflow"))
    }

    fn trigger_type_is(&self, wanted: &str) -> bool {
        self.start
            .trigger_type
            .as_deref()
            .is_some_and(|t| t.eq_ignore_ascii_case(wanted))
    }

    /// Runs in the save of its object's records (after-save, before-save, before-delete, or
    /// a Process Builder process).
    pub fn is_record_triggered(&self) -> bool {
        self.start.object.is_some()
            && (self.is_process_builder()
                || self.trigger_type_is("RecordAfterSave")
                || self.trigger_type_is("RecordBeforeSave")
                || self.trigger_type_is("RecordBeforeDelete"))
    }

    /// Before-save flows change only the record being saved: no DML.
    pub fn is_before_save(&self) -> bool {
        self.trigger_type_is("RecordBeforeSave")
    }

    pub fn is_platform_event_triggered(&self) -> bool {
        self.trigger_type_is("PlatformEvent")
    }

    pub fn is_schedule_triggered(&self) -> bool {
        self.trigger_type_is("Scheduled")
    }

    /// A schedule-triggered flow set to run once: a one-off data change, not a recurring job.
    pub fn runs_once(&self) -> bool {
        self.start
            .frequency
            .as_deref()
            .is_some_and(|f| f.eq_ignore_ascii_case("Once"))
    }

    /// The flow as messages name it: its label and API name.
    pub fn display(&self) -> String {
        if self.label.is_empty() || self.label == self.api_name {
            format!("flow `{}`", self.api_name)
        } else {
            format!("flow `{}` (`{}`)", self.label, self.api_name)
        }
    }
}
