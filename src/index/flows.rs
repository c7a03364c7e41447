//! Flows in the whole-program index: the facts of each flow path (its record writes with their
//! SObjects resolved, its queries, and its calls into subflows and invocable Apex), and when a
//! flow runs (the events of a record-triggered flow).

use std::collections::{HashSet, VecDeque};

use crate::apex::model::DmlKind;
use crate::flow::{Element, ElementKind, FlowFile};

use super::ApexUnit;
use super::events::Events;
use super::facts::{CallSite, Facts, Query, Write};
use super::metadata_index::MetadataIndex;
use super::symbols::{Symbols, Target};
use super::types::SObjectNames;

/// What resolving a flow needs from the rest of the index.
pub struct FlowContext<'p> {
    pub units: &'p [ApexUnit],
    pub symbols: &'p Symbols,
    pub sobjects: &'p SObjectNames,
    pub metadata: &'p MetadataIndex,
}

/// The elements a path runs, in the order they are first reached: from the path's first
/// element along every connector (decision outcomes, fault paths, loop bodies).
pub fn path_elements(flow: &FlowFile, path: usize) -> Vec<usize> {
    let first = if path == 0 {
        flow.start.connector.as_deref()
    } else {
        flow.start
            .scheduled_paths
            .get(path - 1)
            .and_then(|p| p.connector.as_deref())
    };
    let Some(first) = first else {
        return Vec::new();
    };
    reachable_from(flow, &[first], None)
}

/// Elements reached from `starts` along connectors, never passing through `stop`.
pub fn reachable_from(flow: &FlowFile, starts: &[&str], stop: Option<usize>) -> Vec<usize> {
    let mut seen: HashSet<usize> = HashSet::new();
    let mut order = Vec::new();
    let mut queue: VecDeque<usize> = starts
        .iter()
        .filter_map(|name| flow.element(name).map(|(i, _)| i))
        .collect();
    while let Some(index) = queue.pop_front() {
        if Some(index) == stop || !seen.insert(index) {
            continue;
        }
        order.push(index);
        for target in &flow.elements[index].targets {
            if let Some((next, _)) = flow.element(target) {
                queue.push_back(next);
            }
        }
    }
    order
}

/// The facts of one path of a flow.
pub fn facts(cx: &FlowContext<'_>, flow: &FlowFile, path: usize) -> Facts {
    let mut facts = Facts::default();
    for index in path_elements(flow, path) {
        let element = &flow.elements[index];
        match element.kind {
            ElementKind::RecordCreate | ElementKind::RecordUpdate | ElementKind::RecordDelete => {
                // A before-save flow changes the record being saved in place: no DML.
                if flow.is_before_save() && writes_the_record_being_saved(element) {
                    continue;
                }
                facts.writes.push(Write {
                    kind: dml_kind(element.kind),
                    object: write_object(cx, flow, element),
                    span: element.name_span,
                    external_id: false,
                    all_or_none: true,
                    caught: element.has_fault_path,
                    in_catch: false,
                    events: super::events::Events::ALL,
                    attributed: false,
                });
            }
            ElementKind::RecordLookup => facts.queries.push(Query {
                object: element
                    .object
                    .as_deref()
                    .and_then(|o| cx.sobjects.sobject(o)),
                for_update: false,
                span: element.name_span,
            }),
            ElementKind::Subflow => {
                if let Some(body) = element
                    .flow_name
                    .as_deref()
                    .and_then(|n| cx.symbols.flow(n))
                {
                    facts.calls.push(call(element, vec![body]));
                }
            }
            ElementKind::ActionCall => {
                let is_apex = element
                    .action_type
                    .as_deref()
                    .is_some_and(|t| t.eq_ignore_ascii_case("apex"));
                if is_apex && let Some(class) = element.action_name.as_deref() {
                    let methods = cx.symbols.invocable_methods(cx.units, class);
                    if !methods.is_empty() {
                        facts.calls.push(call(element, methods));
                    }
                }
            }
            ElementKind::Loop | ElementKind::Other => {}
        }
    }
    facts
}

fn call(element: &Element, methods: Vec<super::symbols::MethodId>) -> CallSite {
    CallSite {
        span: element.name_span,
        targets: methods
            .into_iter()
            .map(|method| Target {
                method,
                receiver: None,
            })
            .collect(),
        on_this: None,
        keeps_receiver: false,
        dispatch: None,
        caught: element.has_fault_path,
        in_catch: false,
        events: Events::ALL,
    }
}

pub fn dml_kind(kind: ElementKind) -> DmlKind {
    match kind {
        ElementKind::RecordCreate => DmlKind::Insert,
        ElementKind::RecordDelete => DmlKind::Delete,
        _ => DmlKind::Update,
    }
}

fn writes_the_record_being_saved(element: &Element) -> bool {
    element
        .input_reference
        .as_deref()
        .is_some_and(|r| r.trim().eq_ignore_ascii_case("$Record"))
}

/// The SObject a write element writes: its `<object>`, or what its `<inputReference>` holds.
/// Unknown stays unknown.
pub fn write_object(cx: &FlowContext<'_>, flow: &FlowFile, element: &Element) -> Option<String> {
    if let Some(object) = &element.object {
        return cx.sobjects.sobject(object);
    }
    resolve_reference(cx, flow, element.input_reference.as_deref()?, 0)
}

/// What a flow reference holds: `$Record` (the triggering object), `$Record.Parent__r` (the
/// parent, through the lookup's metadata or a standard relationship), a variable's
/// `<objectType>`, a Get Records element's object, a loop's current item.
fn resolve_reference(
    cx: &FlowContext<'_>,
    flow: &FlowFile,
    reference: &str,
    depth: usize,
) -> Option<String> {
    if depth > 8 {
        return None;
    }
    let mut parts = reference.trim().split('.');
    let head = parts.next()?;
    let mut object =
        if head.eq_ignore_ascii_case("$Record") || head.eq_ignore_ascii_case("$Record__Prior") {
            flow.start
                .object
                .as_deref()
                .and_then(|o| cx.sobjects.sobject(o))
        } else if let Some(variable) = flow.variable(head) {
            variable
                .object_type
                .as_deref()
                .and_then(|o| cx.sobjects.sobject(o))
        } else if let Some((_, element)) = flow.element(head) {
            match element.kind {
                ElementKind::RecordLookup => element
                    .object
                    .as_deref()
                    .and_then(|o| cx.sobjects.sobject(o)),
                ElementKind::Loop => {
                    resolve_reference(cx, flow, element.collection.as_deref()?, depth + 1)
                }
                ElementKind::RecordCreate => write_object(cx, flow, element),
                _ => None,
            }
        } else {
            None
        }?;
    for relationship in parts {
        object = relationship_target(cx, &object, relationship)?;
    }
    Some(object)
}

/// The parent a relationship leads to: a lookup's `referenceTo` or the standard lock table;
/// else a standard relationship named after its object (`Contact.Account`, `Case.Contact`).
fn relationship_target(cx: &FlowContext<'_>, object: &str, relationship: &str) -> Option<String> {
    if let Some(target) = cx.metadata.relationship_target(object, relationship) {
        return cx.sobjects.sobject(&target).or(Some(target));
    }
    if relationship.contains("__") {
        return None;
    }
    cx.sobjects.sobject(relationship)
}

/// The trigger events a record-triggered flow runs on.
pub fn flow_events(flow: &FlowFile) -> Events {
    let record = flow
        .start
        .record_trigger_type
        .as_deref()
        .unwrap_or("")
        .to_ascii_lowercase();
    let (insert, update) = match record.as_str() {
        "create" => (true, false),
        "update" => (false, true),
        "createandupdate" => (true, true),
        _ => (false, false),
    };
    let pick = |insert_event: &str, update_event: &str| {
        let mut events = Events::NONE;
        if insert {
            events = events.union(Events::parse(insert_event).unwrap_or(Events::NONE));
        }
        if update {
            events = events.union(Events::parse(update_event).unwrap_or(Events::NONE));
        }
        events
    };
    if flow.is_process_builder() {
        return pick("after insert", "after update");
    }
    match flow
        .start
        .trigger_type
        .as_deref()
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("recordaftersave") => pick("after insert", "after update"),
        Some("recordbeforesave") => pick("before insert", "before update"),
        Some("recordbeforedelete") => Events::parse("before delete").unwrap_or(Events::NONE),
        _ => Events::NONE,
    }
}

/// For each loop of a flow, the write elements inside it (reached from the loop's next-value
/// connector before the path comes back to the loop): `(loop, write)` element indexes.
pub fn writes_in_loops(flow: &FlowFile) -> Vec<(usize, usize)> {
    // Write → (the innermost loop around it, that loop's body size).
    let mut innermost: std::collections::BTreeMap<usize, (usize, usize)> =
        std::collections::BTreeMap::new();
    for (index, element) in flow.elements.iter().enumerate() {
        if element.kind != ElementKind::Loop {
            continue;
        }
        let Some(next) = element.next_value.as_deref() else {
            continue;
        };
        let body = reachable_from(flow, &[next], Some(index));
        for inside in &body {
            if !flow.elements[*inside].kind.is_write() {
                continue;
            }
            let entry = innermost.entry(*inside).or_insert((index, body.len()));
            if body.len() < entry.1 {
                *entry = (index, body.len());
            }
        }
    }
    innermost
        .into_iter()
        .map(|(write, (loop_index, _))| (loop_index, write))
        .collect()
}
