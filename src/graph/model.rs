//! The lock graph as one model that every format draws: objects, the writers that run when
//! records are saved or jobs start, and three kinds of edges between them.
//!
//! - `Locks`: a write to the child object locks the parent (master-detail, `Restrict` or
//!   required lookup, or a standard relationship from Salesforce's cheat sheet).
//! - `Writes`: a writer performs DML on an object, with the DML kinds.
//! - `Runs`: a write to an object runs a writer (a trigger on it, for some events), or a
//!   trigger runs a framework handler.
//!
//! Everything is sorted (objects by name, writers by kind and name, edges by kind and ends), so
//! the same project gives the same bytes in every format.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::apex::model::DmlKind;
use crate::index::events::Events;
use crate::index::metadata_index::LockReason;
use crate::index::{FileId, Project};
use crate::rules::{Finding, Severity};

use super::writers::{self, Writer};

/// A place in the project: a root-relative path with `/`, and a 1-based line.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Location {
    pub path: String,
    pub line: usize,
}

impl Location {
    pub fn of(project: &Project, file: FileId, offset: u32) -> Location {
        Location {
            path: project.path(file).to_string(),
            line: project.file(file).line_column(offset).line,
        }
    }
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.path, self.line)
    }
}

/// A finding shown on a node: its code, severity, message and where it is.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct FindingRef {
    pub location: Location,
    pub rule: &'static str,
    pub severity: Severity,
    pub message: String,
}

/// How objects and writers are grouped when a whole org is drawn.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Group {
    /// A package directory of the project (`force-app`): its objects and its code.
    PackageDirectory(String),
    /// Objects of an installed package, by namespace (`npe01__OppPayment__c`).
    Namespace(String),
    /// Standard objects (`Account`) without metadata in the project.
    Standard,
    /// Custom objects the code writes but the project has no metadata for.
    Unknown,
}

impl Group {
    pub fn label(&self) -> String {
        match self {
            Group::PackageDirectory(dir) => dir.clone(),
            Group::Namespace(ns) => format!("namespace {ns}"),
            Group::Standard => "standard objects".to_string(),
            Group::Unknown => "objects without metadata".to_string(),
        }
    }

    /// The kind, for JSON.
    pub fn kind(&self) -> &'static str {
        match self {
            Group::PackageDirectory(_) => "package-directory",
            Group::Namespace(_) => "namespace",
            Group::Standard => "standard",
            Group::Unknown => "unknown",
        }
    }
}

#[derive(Debug, Clone)]
pub struct ObjectNode {
    /// As written (metadata's spelling first).
    pub name: String,
    pub group: Group,
    /// Findings about this object (`Finding::object`), in path order.
    pub findings: Vec<FindingRef>,
}

/// One end of an edge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum NodeRef {
    Object(usize),
    Writer(usize),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EdgeKind {
    /// A write to `from` (an object) locks `to` (its parent).
    Locks {
        field: String,
        reason: LockReason,
        defined_at: Option<Location>,
    },
    /// `from` (a writer) writes `to` (an object).
    Writes { dml: Vec<DmlKind> },
    /// A write to `from` (an object) runs `to` (a writer) for these events; or `from` (a
    /// trigger) runs `to` (a framework handler) through `via`.
    Runs {
        events: Events,
        via: Option<&'static str>,
    },
}

impl EdgeKind {
    pub fn name(&self) -> &'static str {
        match self {
            EdgeKind::Locks { .. } => "locks",
            EdgeKind::Writes { .. } => "writes",
            EdgeKind::Runs { .. } => "runs",
        }
    }

    fn order(&self) -> u8 {
        match self {
            EdgeKind::Runs { .. } => 0,
            EdgeKind::Writes { .. } => 1,
            EdgeKind::Locks { .. } => 2,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edge {
    pub from: NodeRef,
    pub to: NodeRef,
    pub kind: EdgeKind,
}

/// What `--object` narrowed the graph to.
#[derive(Debug, Clone)]
pub struct Focus {
    pub object: String,
    pub depth: usize,
    /// Objects written at the last level whose own automation is not drawn (beyond --depth).
    pub cut: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct Graph {
    /// The project root as users see it.
    pub root: String,
    pub objects: Vec<ObjectNode>,
    pub writers: Vec<Writer>,
    pub edges: Vec<Edge>,
    pub focus: Option<Focus>,
}

/// `DmlKind` in a fixed order, for sorting and labels.
pub fn dml_rank(kind: DmlKind) -> u8 {
    match kind {
        DmlKind::Insert => 0,
        DmlKind::Update => 1,
        DmlKind::Upsert => 2,
        DmlKind::Delete => 3,
        DmlKind::Undelete => 4,
        DmlKind::Merge => 5,
    }
}

/// `before insert, before update, after update` as `before insert/update · after update`.
pub fn describe_events(events: Events) -> String {
    let mut before = Vec::new();
    let mut after = Vec::new();
    for name in events.names() {
        match name.split_once(' ') {
            Some(("before", what)) => before.push(what),
            Some((_, what)) => after.push(what),
            None => {}
        }
    }
    let mut parts = Vec::new();
    if !before.is_empty() {
        parts.push(format!("before {}", before.join("/")));
    }
    if !after.is_empty() {
        parts.push(format!("after {}", after.join("/")));
    }
    parts.join(" · ")
}

/// `master-detail`, `Restrict lookup` …, for labels.
pub fn describe_reason(reason: LockReason) -> &'static str {
    match reason {
        LockReason::MasterDetail => "master-detail",
        LockReason::RestrictLookup => "Restrict lookup",
        LockReason::RequiredLookup => "required lookup",
        LockReason::Standard => "standard",
    }
}

/// The namespace of `ns__Name__c`, if it has one.
pub fn namespace_of(object: &str) -> Option<&str> {
    let (namespace, rest) = object.split_once("__")?;
    (rest.contains("__") && !namespace.is_empty()).then_some(namespace)
}

/// The package directory holding a root-relative path: the longest one that contains it.
pub fn package_directory(package_dirs: &[String], path: &str) -> String {
    package_dirs
        .iter()
        .map(|dir| dir.trim_start_matches("./").trim_end_matches('/'))
        .filter(|dir| {
            *dir == "."
                || dir.is_empty()
                || path
                    .strip_prefix(*dir)
                    .is_some_and(|rest| rest.starts_with('/'))
        })
        .max_by_key(|dir| if *dir == "." { 0 } else { dir.len() })
        .map_or_else(
            || path.split('/').next().unwrap_or(".").to_string(),
            |dir| {
                if dir.is_empty() {
                    ".".to_string()
                } else {
                    dir.to_string()
                }
            },
        )
}

impl Graph {
    /// The whole lock graph of an analysed project, with the findings of the rules that ran
    /// (already filtered by the project's settings and suppressions).
    pub fn build(project: &Project, package_dirs: &[String], findings: &[Finding]) -> Graph {
        let program = &project.program;
        let mut writers = writers::collect(project, package_dirs);
        attach_writer_findings(project, &mut writers, findings);

        // The objects: what has metadata or is written, run or named by a finding, then the
        // parents a write to them locks. Settings, events, big objects and custom metadata
        // hold no business rows: they are left out, unless a trigger runs on them.
        let mut names = Names::default();
        let metadata_paths = object_metadata_paths(project);
        for object in &program.metadata.objects {
            names.add(object, true);
        }
        for writer in &writers {
            for run in &writer.runs_on {
                if let writers::Start::Save { object, .. } = &run.start {
                    names.add(object, false);
                }
            }
            for write in &writer.writes {
                names.add(&write.object, false);
            }
        }
        for finding in findings {
            if let Some(object) = &finding.object {
                names.add(object, false);
            }
        }
        let mut lock_edges = Vec::new();
        for key in names.keys() {
            for edge in program.metadata.locked_parents(&key) {
                if !program.is_business_object(&edge.parent) {
                    continue;
                }
                lock_edges.push(edge.clone());
            }
        }
        for edge in &lock_edges {
            names.add(&edge.parent, false);
        }

        // Which objects take part: those on an edge or carrying a finding.
        let mut used: BTreeSet<String> = BTreeSet::new();
        for writer in &writers {
            for run in &writer.runs_on {
                if let writers::Start::Save { object, .. } = &run.start {
                    used.insert(object.to_ascii_lowercase());
                }
            }
            for write in &writer.writes {
                used.insert(write.object.to_ascii_lowercase());
            }
        }
        // Relationships the project defines, then the standard ones whose child is in use: a
        // standard relationship between objects this org never touches is not its own.
        for edge in lock_edges
            .iter()
            .filter(|e| e.reason != LockReason::Standard)
        {
            used.insert(edge.child.to_ascii_lowercase());
            used.insert(edge.parent.to_ascii_lowercase());
        }
        lock_edges.retain(|edge| {
            edge.reason != LockReason::Standard || used.contains(&edge.child.to_ascii_lowercase())
        });
        for edge in &lock_edges {
            used.insert(edge.parent.to_ascii_lowercase());
        }
        let mut object_findings: BTreeMap<String, Vec<FindingRef>> = BTreeMap::new();
        for finding in findings {
            if let Some(object) = &finding.object {
                let key = object.to_ascii_lowercase();
                used.insert(key.clone());
                object_findings
                    .entry(key)
                    .or_default()
                    .push(finding_ref(project, finding));
            }
        }

        let mut objects: Vec<ObjectNode> = used
            .iter()
            .map(|key| {
                let name = names.display(key);
                let group = if let Some(ns) = namespace_of(&name) {
                    Group::Namespace(ns.to_string())
                } else if let Some(path) = metadata_paths.get(key) {
                    Group::PackageDirectory(package_directory(package_dirs, path))
                } else if !name.contains("__") {
                    Group::Standard
                } else {
                    Group::Unknown
                };
                let mut findings = object_findings.remove(key).unwrap_or_default();
                findings.sort();
                findings.dedup();
                ObjectNode {
                    name,
                    group,
                    findings,
                }
            })
            .collect();
        objects.sort_by(|a, b| {
            a.name
                .to_ascii_lowercase()
                .cmp(&b.name.to_ascii_lowercase())
                .then(a.name.cmp(&b.name))
        });
        let object_index: HashMap<String, usize> = objects
            .iter()
            .enumerate()
            .map(|(i, o)| (o.name.to_ascii_lowercase(), i))
            .collect();
        let object_of = |name: &str| object_index.get(&name.to_ascii_lowercase()).copied();
        let writer_index: HashMap<(writers::WriterKind, String), usize> = writers
            .iter()
            .enumerate()
            .map(|(i, w)| ((w.kind, w.name.to_ascii_lowercase()), i))
            .collect();

        let mut edges = Vec::new();
        for (index, writer) in writers.iter().enumerate() {
            for run in &writer.runs_on {
                let from = match &run.start {
                    writers::Start::Save { object, .. } => object_of(object).map(NodeRef::Object),
                    writers::Start::Dispatch { trigger, .. } => writer_index
                        .get(&(
                            writers::WriterKind::ApexTrigger,
                            trigger.to_ascii_lowercase(),
                        ))
                        .copied()
                        .map(NodeRef::Writer),
                };
                let Some(from) = from else { continue };
                let via = match &run.start {
                    writers::Start::Dispatch { framework, .. } => Some(*framework),
                    writers::Start::Save { .. } => None,
                };
                edges.push(Edge {
                    from,
                    to: NodeRef::Writer(index),
                    kind: EdgeKind::Runs {
                        events: run.events,
                        via,
                    },
                });
            }
            let mut written: BTreeMap<usize, BTreeSet<(u8, DmlKind)>> = BTreeMap::new();
            for write in &writer.writes {
                if let Some(object) = object_of(&write.object) {
                    written
                        .entry(object)
                        .or_default()
                        .insert((dml_rank(write.kind), write.kind));
                }
            }
            for (object, kinds) in written {
                edges.push(Edge {
                    from: NodeRef::Writer(index),
                    to: NodeRef::Object(object),
                    kind: EdgeKind::Writes {
                        dml: kinds.into_iter().map(|(_, k)| k).collect(),
                    },
                });
            }
        }
        for edge in &lock_edges {
            let (Some(child), Some(parent)) = (object_of(&edge.child), object_of(&edge.parent))
            else {
                continue;
            };
            edges.push(Edge {
                from: NodeRef::Object(child),
                to: NodeRef::Object(parent),
                kind: EdgeKind::Locks {
                    field: edge.field.clone(),
                    reason: edge.reason,
                    defined_at: edge
                        .defined_at
                        .map(|(file, span)| Location::of(project, file, span.start)),
                },
            });
        }
        sort_edges(&mut edges);
        Graph {
            root: project.root.clone(),
            objects,
            writers,
            edges,
            focus: None,
        }
    }

    /// The object named `name` (case-insensitive).
    pub fn find_object(&self, name: &str) -> Option<usize> {
        self.objects
            .iter()
            .position(|o| o.name.eq_ignore_ascii_case(name))
    }

    /// The graph restricted to some nodes and edges (edges whose ends are kept), reindexed.
    pub fn restrict(
        &self,
        objects: &BTreeSet<usize>,
        writers: &BTreeSet<usize>,
        edges: &BTreeSet<usize>,
    ) -> Graph {
        let object_map: HashMap<usize, usize> =
            objects.iter().enumerate().map(|(n, o)| (*o, n)).collect();
        let writer_map: HashMap<usize, usize> =
            writers.iter().enumerate().map(|(n, w)| (*w, n)).collect();
        let map = |node: NodeRef| match node {
            NodeRef::Object(i) => object_map.get(&i).map(|n| NodeRef::Object(*n)),
            NodeRef::Writer(i) => writer_map.get(&i).map(|n| NodeRef::Writer(*n)),
        };
        let edges = edges
            .iter()
            .filter_map(|e| {
                let edge = &self.edges[*e];
                Some(Edge {
                    from: map(edge.from)?,
                    to: map(edge.to)?,
                    kind: edge.kind.clone(),
                })
            })
            .collect();
        Graph {
            root: self.root.clone(),
            objects: objects.iter().map(|o| self.objects[*o].clone()).collect(),
            writers: writers.iter().map(|w| self.writers[*w].clone()).collect(),
            edges,
            focus: self.focus.clone(),
        }
    }

    /// A node's display name.
    pub fn name(&self, node: NodeRef) -> &str {
        match node {
            NodeRef::Object(i) => &self.objects[i].name,
            NodeRef::Writer(i) => &self.writers[i].name,
        }
    }

    /// How many nodes (objects and writers).
    pub fn node_count(&self) -> usize {
        self.objects.len() + self.writers.len()
    }

    /// The groups in use, sorted, with their objects and writers.
    pub fn groups(&self) -> Vec<(Group, Vec<NodeRef>)> {
        let mut groups: BTreeMap<Group, Vec<NodeRef>> = BTreeMap::new();
        for (index, object) in self.objects.iter().enumerate() {
            groups
                .entry(object.group.clone())
                .or_default()
                .push(NodeRef::Object(index));
        }
        for (index, writer) in self.writers.iter().enumerate() {
            groups
                .entry(writer.group.clone())
                .or_default()
                .push(NodeRef::Writer(index));
        }
        groups.into_iter().collect()
    }
}

fn sort_edges(edges: &mut [Edge]) {
    edges.sort_by(|a, b| {
        a.kind
            .order()
            .cmp(&b.kind.order())
            .then(a.from.cmp(&b.from))
            .then(a.to.cmp(&b.to))
            .then_with(|| match (&a.kind, &b.kind) {
                (EdgeKind::Locks { field: fa, .. }, EdgeKind::Locks { field: fb, .. }) => {
                    fa.to_ascii_lowercase().cmp(&fb.to_ascii_lowercase())
                }
                _ => std::cmp::Ordering::Equal,
            })
    });
}

fn finding_ref(project: &Project, finding: &Finding) -> FindingRef {
    FindingRef {
        location: Location::of(project, finding.file, finding.span.start),
        rule: finding.rule.code,
        severity: finding.severity,
        message: finding.message.clone(),
    }
}

/// A writer's own findings (inside its declaration) and those in the code it runs. Findings
/// are looked up by file, so the cost grows with what each writer reaches, not with every
/// writer times every finding.
fn attach_writer_findings(project: &Project, writers: &mut [Writer], findings: &[Finding]) {
    let mut by_file: HashMap<FileId, Vec<&Finding>> = HashMap::new();
    for finding in findings {
        by_file.entry(finding.file).or_default().push(finding);
    }
    let within = |span: &crate::apex::Span, finding: &Finding| {
        span.start <= finding.span.start && finding.span.start < span.end.max(span.start + 1)
    };
    for writer in writers {
        let (file, span) = writer.declaration;
        let mut own: BTreeSet<(FileId, u32, &'static str, &str)> = BTreeSet::new();
        for finding in by_file.get(&file).into_iter().flatten() {
            if within(&span, finding) {
                own.insert(key(finding));
                writer.findings.push(finding_ref(project, finding));
            }
        }
        for (file, span) in &writer.reached {
            for finding in by_file.get(file).into_iter().flatten() {
                if within(span, finding) && !own.contains(&key(finding)) {
                    writer.reached_findings.push(finding_ref(project, finding));
                }
            }
        }
        writer.findings.sort();
        writer.findings.dedup();
        writer.reached_findings.sort();
        writer.reached_findings.dedup();
    }
}

fn key(finding: &Finding) -> (FileId, u32, &'static str, &str) {
    (
        finding.file,
        finding.span.start,
        finding.rule.code,
        finding.message.as_str(),
    )
}

/// Where each object's metadata lives (its first field or object file), by lower-cased name.
fn object_metadata_paths(project: &Project) -> HashMap<String, String> {
    let mut paths: HashMap<String, String> = HashMap::new();
    for unit in &project.fields {
        paths
            .entry(unit.meta.object.to_ascii_lowercase())
            .or_insert_with(|| project.path(unit.file).to_string());
    }
    paths
}

/// Object names as displayed, by lower-cased key: the metadata's spelling, else the smallest
/// spelling seen (so the choice does not depend on the order names are met in).
#[derive(Default)]
struct Names {
    by_key: BTreeMap<String, (bool, String)>,
}

impl Names {
    fn add(&mut self, name: &str, from_metadata: bool) {
        let key = name.to_ascii_lowercase();
        match self.by_key.get_mut(&key) {
            Some((metadata, shown)) => {
                if (from_metadata && !*metadata)
                    || (from_metadata == *metadata && name < shown.as_str())
                {
                    *metadata = from_metadata;
                    *shown = name.to_string();
                }
            }
            None => {
                self.by_key.insert(key, (from_metadata, name.to_string()));
            }
        }
    }

    fn keys(&self) -> Vec<String> {
        self.by_key.keys().cloned().collect()
    }

    fn display(&self, key: &str) -> String {
        self.by_key
            .get(key)
            .map_or_else(|| key.to_string(), |(_, shown)| shown.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_read_by_timing() {
        let events = Events::parse_list("before insert;before update;after update");
        assert_eq!(
            describe_events(events),
            "before insert/update · after update"
        );
        assert_eq!(describe_events(Events::NONE), "");
    }

    #[test]
    fn namespaces_and_package_directories() {
        assert_eq!(namespace_of("npe01__OppPayment__c"), Some("npe01"));
        assert_eq!(namespace_of("Invoice__c"), None);
        assert_eq!(namespace_of("Account"), None);
        let dirs = vec!["force-app".to_string(), "force-app/unpackaged".to_string()];
        assert_eq!(
            package_directory(
                &dirs,
                "force-app/unpackaged/objects/A__c/fields/B__c.field-meta.xml"
            ),
            "force-app/unpackaged"
        );
        assert_eq!(package_directory(&dirs, "force-app/main/x"), "force-app");
        assert_eq!(package_directory(&[".".to_string()], "src/x"), ".");
    }
}
