//! `--format json`: the lock graph for scripts. Ids are stable strings (`object:Account`,
//! `apex-trigger:AccountTrigger`); the HTML page embeds the same document.

use std::io::{self, Write};

use serde::Serialize;

use crate::index::events::Events;
use crate::index::metadata_index::LockReason;

use super::model::{EdgeKind, FindingRef, Graph, Group, NodeRef};
use super::writers::{Start, Writer};

#[derive(Serialize)]
pub(crate) struct Document<'g> {
    version: &'static str,
    root: &'g str,
    focus: Option<JsonFocus<'g>>,
    groups: Vec<JsonGroup>,
    objects: Vec<JsonObject<'g>>,
    writers: Vec<JsonWriter<'g>>,
    edges: Vec<JsonEdge<'g>>,
    summary: JsonSummary,
}

#[derive(Serialize)]
struct JsonFocus<'g> {
    object: &'g str,
    depth: usize,
    /// Objects written at the last level whose automation is not drawn.
    cut: &'g [String],
}

#[derive(Serialize)]
struct JsonGroup {
    id: String,
    name: String,
    kind: &'static str,
}

#[derive(Serialize)]
struct JsonObject<'g> {
    id: String,
    name: &'g str,
    group: String,
    findings: Vec<JsonFinding<'g>>,
}

#[derive(Serialize)]
struct JsonWriter<'g> {
    id: String,
    kind: &'static str,
    name: &'g str,
    detail: &'g str,
    /// `trigger on Account`, `TDTM handler on Opportunity`, `Queueable job`.
    summary: String,
    path: &'g str,
    line: usize,
    group: String,
    runs_on: Vec<JsonRunsOn<'g>>,
    writes: Vec<JsonWrite<'g>>,
    unresolved_writes: usize,
    findings: Vec<JsonFinding<'g>>,
    reached_findings: Vec<JsonFinding<'g>>,
}

#[derive(Serialize)]
struct JsonRunsOn<'g> {
    /// A save of this object runs the writer (through `trigger`, for a handler).
    object: Option<&'g str>,
    /// This trigger runs the writer, through `framework`.
    #[serde(skip_serializing_if = "Option::is_none")]
    trigger: Option<&'g str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    framework: Option<&'static str>,
    events: Vec<&'static str>,
}

#[derive(Serialize)]
struct JsonWrite<'g> {
    dml: &'static str,
    object: &'g str,
    path: &'g str,
    line: usize,
    method: &'g str,
    sites: usize,
}

#[derive(Serialize)]
struct JsonFinding<'g> {
    rule: &'static str,
    severity: crate::rules::Severity,
    message: &'g str,
    path: &'g str,
    line: usize,
}

#[derive(Serialize)]
struct JsonEdge<'g> {
    kind: &'static str,
    from: String,
    to: String,
    /// `locks`: the relationship field and why it locks.
    #[serde(skip_serializing_if = "Option::is_none")]
    field: Option<&'g str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    path: Option<&'g str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    line: Option<usize>,
    /// `writes`: the DML kinds.
    #[serde(skip_serializing_if = "Option::is_none")]
    dml: Option<Vec<&'static str>>,
    /// `runs`: the events, and the framework between a trigger and a handler.
    #[serde(skip_serializing_if = "Option::is_none")]
    events: Option<Vec<&'static str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    via: Option<&'static str>,
}

#[derive(Serialize)]
struct JsonSummary {
    objects: usize,
    writers: usize,
    edges: usize,
    objects_with_findings: usize,
}

/// `object:Account`, `apex-trigger:AccountTrigger`.
pub fn node_id(graph: &Graph, node: NodeRef) -> String {
    match node {
        NodeRef::Object(i) => format!("object:{}", graph.objects[i].name),
        NodeRef::Writer(i) => {
            let writer = &graph.writers[i];
            format!("{}:{}", writer.kind.name(), writer.name)
        }
    }
}

pub fn group_id(group: &Group) -> String {
    match group {
        Group::PackageDirectory(dir) => format!("package:{dir}"),
        Group::Namespace(ns) => format!("namespace:{ns}"),
        Group::Standard => "standard".to_string(),
        Group::Unknown => "unknown".to_string(),
    }
}

pub fn reason_name(reason: LockReason) -> &'static str {
    match reason {
        LockReason::MasterDetail => "master-detail",
        LockReason::RestrictLookup => "restrict-lookup",
        LockReason::RequiredLookup => "required-lookup",
        LockReason::Standard => "standard",
    }
}

fn events(events: Events) -> Vec<&'static str> {
    events.names().collect()
}

fn findings(list: &[FindingRef]) -> Vec<JsonFinding<'_>> {
    list.iter()
        .map(|f| JsonFinding {
            rule: f.rule,
            severity: f.severity,
            message: &f.message,
            path: &f.location.path,
            line: f.location.line,
        })
        .collect()
}

fn writer<'g>(graph: &'g Graph, index: usize, writer: &'g Writer) -> JsonWriter<'g> {
    JsonWriter {
        id: node_id(graph, NodeRef::Writer(index)),
        kind: writer.kind.name(),
        name: &writer.name,
        detail: &writer.detail,
        summary: writer.summary(),
        path: &writer.location.path,
        line: writer.location.line,
        group: group_id(&writer.group),
        runs_on: writer
            .runs_on
            .iter()
            .map(|run| match &run.start {
                Start::Save { object } => JsonRunsOn {
                    object: Some(object),
                    trigger: None,
                    framework: None,
                    events: events(run.events),
                },
                Start::Dispatch {
                    trigger,
                    object,
                    framework,
                } => JsonRunsOn {
                    object: Some(object),
                    trigger: Some(trigger),
                    framework: Some(framework),
                    events: events(run.events),
                },
            })
            .collect(),
        writes: writer
            .writes
            .iter()
            .map(|w| JsonWrite {
                dml: w.kind.keyword(),
                object: &w.object,
                path: &w.location.path,
                line: w.location.line,
                method: &w.method,
                sites: w.sites,
            })
            .collect(),
        unresolved_writes: writer.unresolved_writes,
        findings: findings(&writer.findings),
        reached_findings: findings(&writer.reached_findings),
    }
}

pub(crate) fn document(graph: &Graph) -> Document<'_> {
    Document {
        version: env!("CARGO_PKG_VERSION"),
        root: &graph.root,
        focus: graph.focus.as_ref().map(|f| JsonFocus {
            object: &f.object,
            depth: f.depth,
            cut: &f.cut,
        }),
        groups: graph
            .groups()
            .into_iter()
            .map(|(group, _)| JsonGroup {
                id: group_id(&group),
                name: group.label(),
                kind: group.kind(),
            })
            .collect(),
        objects: graph
            .objects
            .iter()
            .enumerate()
            .map(|(i, o)| JsonObject {
                id: node_id(graph, NodeRef::Object(i)),
                name: &o.name,
                group: group_id(&o.group),
                findings: findings(&o.findings),
            })
            .collect(),
        writers: graph
            .writers
            .iter()
            .enumerate()
            .map(|(i, w)| writer(graph, i, w))
            .collect(),
        edges: graph
            .edges
            .iter()
            .map(|edge| {
                let mut json = JsonEdge {
                    kind: edge.kind.name(),
                    from: node_id(graph, edge.from),
                    to: node_id(graph, edge.to),
                    field: None,
                    reason: None,
                    path: None,
                    line: None,
                    dml: None,
                    events: None,
                    via: None,
                };
                match &edge.kind {
                    EdgeKind::Locks {
                        field,
                        reason,
                        defined_at,
                    } => {
                        json.field = Some(field);
                        json.reason = Some(reason_name(*reason));
                        json.path = defined_at.as_ref().map(|l| l.path.as_str());
                        json.line = defined_at.as_ref().map(|l| l.line);
                    }
                    EdgeKind::Writes { dml } => {
                        json.dml = Some(dml.iter().map(|k| k.keyword()).collect());
                    }
                    EdgeKind::Runs { events: on, via } => {
                        json.events = Some(events(*on));
                        json.via = *via;
                    }
                }
                json
            })
            .collect(),
        summary: JsonSummary {
            objects: graph.objects.len(),
            writers: graph.writers.len(),
            edges: graph.edges.len(),
            objects_with_findings: graph
                .objects
                .iter()
                .filter(|o| !o.findings.is_empty())
                .count(),
        },
    }
}

pub fn render(graph: &Graph, out: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, &document(graph)).map_err(io::Error::other)?;
    writeln!(out)
}
