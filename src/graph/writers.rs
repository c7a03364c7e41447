//! The writers of the lock graph: everything that runs and writes records, collected from the
//! index in one place ([`collect`]). Each writer says what starts it (a save of an object, for
//! some events; a trigger that dispatches to it; nothing, for a job that starts its own
//! transaction), where it is declared, and what it writes.
//!
//! Record-triggered flows join here once the index reads them (issue 11): a `Flow` kind, a
//! `Start::Save` on the flow's object and events, and its Create/Update/Delete Records elements
//! as writes. Nothing else in `graph` needs to change.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::apex::Span;
use crate::apex::model::DmlKind;
use crate::index::events::Events;
use crate::index::frameworks::Framework;
use crate::index::program::{Hop, ReachOptions};
use crate::index::symbols::{BodyKind, ClassId, MethodId, Target};
use crate::index::{FileId, Project};

use super::model::{FindingRef, Group, Location, dml_rank, package_directory};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum WriterKind {
    /// An active Apex trigger: a write to its object runs it.
    ApexTrigger,
    /// A class a trigger framework (TDTM, Trigger Actions, fflib) runs for an object.
    TriggerHandler,
    /// A Queueable, Batchable, Schedulable or Finalizer class, or a `@future` method: it runs
    /// in a transaction of its own.
    AsyncJob,
    /// An active record-triggered flow (or Process Builder process): a save of its object
    /// runs it, in the same transaction.
    Flow,
}

impl WriterKind {
    /// The stable name, for JSON and ids.
    pub fn name(self) -> &'static str {
        match self {
            WriterKind::ApexTrigger => "apex-trigger",
            WriterKind::TriggerHandler => "trigger-handler",
            WriterKind::AsyncJob => "async-job",
            WriterKind::Flow => "flow",
        }
    }

    /// A short word for labels.
    pub fn word(self) -> &'static str {
        match self {
            WriterKind::ApexTrigger => "trigger",
            WriterKind::TriggerHandler => "handler",
            WriterKind::AsyncJob => "job",
            WriterKind::Flow => "flow",
        }
    }
}

/// What starts a writer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Start {
    /// A write to the object runs it (a trigger; a record-triggered flow).
    Save { object: String },
    /// A trigger on `object` runs it through a framework.
    Dispatch {
        trigger: String,
        object: String,
        framework: &'static str,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunsOn {
    pub start: Start,
    pub events: Events,
}

/// The writes of one DML kind to one object, with the first place they happen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WriteSite {
    pub kind: DmlKind,
    pub object: String,
    pub location: Location,
    /// The method (or trigger) that holds the first place: `InvoiceService.post`.
    pub method: String,
    /// How many places write it.
    pub sites: usize,
}

#[derive(Debug, Clone)]
pub struct Writer {
    pub kind: WriterKind,
    /// `InvoiceLineTrigger`, `InvoiceJob`, `Cls.method` for `@future`.
    pub name: String,
    /// `Queueable`, `@future`, `TDTM`, `before insert/update · after update` …
    pub detail: String,
    pub location: Location,
    pub group: Group,
    /// Empty for jobs: they start their own transaction.
    pub runs_on: Vec<RunsOn>,
    /// By object, then DML kind.
    pub writes: Vec<WriteSite>,
    /// DML whose SObject type lockgen could not resolve (never guessed).
    pub unresolved_writes: usize,
    /// Findings inside its own declaration.
    pub findings: Vec<FindingRef>,
    /// Findings in the code it runs, outside its declaration.
    pub reached_findings: Vec<FindingRef>,
    /// Its declaration's file and span, and the bodies it reaches: where findings are looked
    /// up.
    pub(crate) declaration: (FileId, Span),
    pub(crate) reached: Vec<(FileId, Span)>,
}

impl Writer {
    /// `trigger on Account`, `TDTM handler on Opportunity, Account`, `Queueable job`: what the
    /// writer is and what starts it, for labels.
    pub fn summary(&self) -> String {
        let mut on: Vec<&str> = Vec::new();
        for run in &self.runs_on {
            let object = match &run.start {
                Start::Save { object } | Start::Dispatch { object, .. } => object.as_str(),
            };
            if !on.iter().any(|o| o.eq_ignore_ascii_case(object)) {
                on.push(object);
            }
        }
        let what = match self.kind {
            WriterKind::ApexTrigger => "trigger".to_string(),
            WriterKind::TriggerHandler => format!("{} handler", self.detail),
            WriterKind::AsyncJob => format!("{} job", self.detail),
            WriterKind::Flow => "flow".to_string(),
        };
        match on.as_slice() {
            [] => what,
            [a] => format!("{what} on {a}"),
            [a, b] => format!("{what} on {a}, {b}"),
            [a, b, rest @ ..] => format!("{what} on {a}, {b} +{}", rest.len()),
        }
    }
}

/// Every writer of the project: active Apex triggers and the framework handlers they run, and
/// async entry points that write. Sorted by kind, then name; names are unique per kind.
pub fn collect(project: &Project, package_dirs: &[String]) -> Vec<Writer> {
    let mut writers = apex_triggers(project, package_dirs);
    writers.extend(record_triggered_flows(project, package_dirs));
    writers.extend(async_jobs(project, package_dirs));
    writers.sort_by(|a, b| {
        a.kind
            .cmp(&b.kind)
            .then(
                a.name
                    .to_ascii_lowercase()
                    .cmp(&b.name.to_ascii_lowercase()),
            )
            .then(a.location.cmp(&b.location))
    });
    // Two writers of one kind never share a name: ids and labels are built from it.
    let mut seen: HashMap<(WriterKind, String), usize> = HashMap::new();
    for writer in &mut writers {
        let count = seen
            .entry((writer.kind, writer.name.to_ascii_lowercase()))
            .or_default();
        *count += 1;
        if *count > 1 {
            writer.name = format!("{} ({})", writer.name, writer.location);
        }
    }
    writers
}

/// What the reach of a writer is looked at with: its calls and framework handlers, not the
/// triggers its DML runs (those are writers of their own, joined by `Runs` edges), and not
/// error handling (it runs after the work failed).
const OPTIONS: ReachOptions = ReachOptions {
    cascade: false,
    skip_caught_calls: false,
    skip_error_handling: true,
};

/// The first write site of an object and DML kind, and every place that writes it.
type Sites = (WriteSite, BTreeSet<(FileId, u32)>);

/// A writer while its writes are gathered.
struct Building {
    writer: Writer,
    /// `(lower-cased object, DML rank)` → the sites.
    writes: BTreeMap<(String, u8), Sites>,
    unresolved: BTreeSet<(FileId, u32)>,
    reached: BTreeSet<(FileId, u32, u32)>,
}

impl Building {
    fn new(
        kind: WriterKind,
        name: String,
        detail: String,
        location: Location,
        group: Group,
        declaration: (FileId, Span),
    ) -> Building {
        Building {
            writer: Writer {
                kind,
                name,
                detail,
                location,
                group,
                runs_on: Vec::new(),
                writes: Vec::new(),
                unresolved_writes: 0,
                findings: Vec::new(),
                reached_findings: Vec::new(),
                declaration,
                reached: Vec::new(),
            },
            writes: BTreeMap::new(),
            unresolved: BTreeSet::new(),
            reached: BTreeSet::new(),
        }
    }

    /// The writes a reached method makes itself.
    fn add_method(&mut self, project: &Project, method: MethodId) {
        let program = &project.program;
        let info = program.symbols.method(method);
        let file = info.file;
        if let Some(body) = program.body(&project.apex, method) {
            self.reached.insert((file, body.span.start, body.span.end));
        }
        for write in &program.facts[method.index()].writes {
            // Error handling runs after the work failed: not what a save does each time.
            if write.in_catch {
                continue;
            }
            let Some(object) = &write.object else {
                self.unresolved.insert((file, write.span.start));
                continue;
            };
            // Settings, events, big objects and custom metadata hold no business rows.
            if !program.is_business_object(object) {
                continue;
            }
            let location = Location::of(project, file, write.span.start);
            let key = (object.to_ascii_lowercase(), dml_rank(write.kind));
            let entry = self.writes.entry(key).or_insert_with(|| {
                (
                    WriteSite {
                        kind: write.kind,
                        object: object.clone(),
                        location: location.clone(),
                        method: program.symbols.display(method),
                        sites: 0,
                    },
                    BTreeSet::new(),
                )
            });
            if location < entry.0.location {
                entry.0.location = location;
                entry.0.method = program.symbols.display(method);
                entry.0.object = object.clone();
            }
            entry.1.insert((file, write.span.start));
        }
    }

    fn finish(self) -> Writer {
        let mut writer = self.writer;
        writer.writes = self
            .writes
            .into_values()
            .map(|(mut site, spans)| {
                site.sites = spans.len();
                site
            })
            .collect();
        writer.unresolved_writes = self.unresolved.len();
        writer.reached = self
            .reached
            .into_iter()
            .map(|(file, start, end)| (file, Span { start, end }))
            .collect();
        writer
    }
}

/// Active triggers, each with what it writes itself (and through the methods it calls), and
/// the framework handlers it runs, each with what that handler writes.
fn apex_triggers(project: &Project, package_dirs: &[String]) -> Vec<Writer> {
    let program = &project.program;
    let symbols = &program.symbols;
    let mut triggers: Vec<_> = program.triggers.values().flatten().collect();
    triggers.sort_by_key(|t| t.body);
    let mut handlers: BTreeMap<ClassId, Building> = BTreeMap::new();
    let mut out = Vec::new();
    for trigger in triggers {
        let info = symbols.method(trigger.body);
        // Record-triggered flows run in saves too; they are writers of their own kind.
        let Some(decl) = symbols
            .model(&project.apex, trigger.body)
            .and_then(|model| model.trigger.as_ref())
        else {
            continue;
        };
        let file = info.file;
        let name = decl.name.text.clone();
        let mut building = Building::new(
            WriterKind::ApexTrigger,
            name.clone(),
            super::model::describe_events(trigger.events),
            Location::of(project, file, decl.header_span.start),
            Group::PackageDirectory(package_directory(package_dirs, project.path(file))),
            (file, decl.span),
        );
        building.writer.runs_on.push(RunsOn {
            start: Start::Save {
                object: trigger.object.clone(),
            },
            events: trigger.events,
        });
        // The handlers its framework runs for this object and these events.
        for handler in program.frameworks.handlers_on(&trigger.object) {
            let events = handler.events.intersect(trigger.events);
            if events.is_empty() || handler.framework == Framework::Configured {
                continue;
            }
            let building = handlers.entry(handler.class).or_insert_with(|| {
                handler_writer(project, package_dirs, handler.class, handler.framework)
            });
            building.writer.runs_on.push(RunsOn {
                start: Start::Dispatch {
                    trigger: name.clone(),
                    object: trigger.object.clone(),
                    framework: handler.framework.name(),
                },
                events,
            });
        }
        let mine: Vec<ClassId> = program
            .frameworks
            .handlers_on(&trigger.object)
            .iter()
            .filter(|h| handlers.contains_key(&h.class))
            .map(|h| h.class)
            .collect();
        // What the trigger runs: its own code, and each handler's code under the handler.
        let reach = program.reach(
            Target {
                method: trigger.body,
                receiver: None,
            },
            OPTIONS,
        );
        let mut handler_of: Vec<Option<ClassId>> = Vec::with_capacity(reach.steps.len());
        for step in &reach.steps {
            let inherited = step.parent.and_then(|p| handler_of[p]);
            let handler = match step.hop {
                Hop::Framework => inherited.or_else(|| handler_class(program, &mine, step)),
                _ => inherited,
            };
            handler_of.push(handler);

            match handler.and_then(|class| handlers.get_mut(&class)) {
                Some(handler) => handler.add_method(project, step.method),
                None => building.add_method(project, step.method),
            }
        }
        out.push(building.finish());
    }
    out.extend(handlers.into_values().map(|building| {
        let mut writer = building.finish();
        writer.runs_on.sort_by(|a, b| runs_key(a).cmp(&runs_key(b)));
        writer.runs_on.dedup();
        writer
    }));
    out
}

/// Active record-triggered flows (and Process Builder processes), each with what it writes
/// itself and through the subflows and invocable Apex it runs.
fn record_triggered_flows(project: &Project, package_dirs: &[String]) -> Vec<Writer> {
    let program = &project.program;
    let symbols = &program.symbols;
    let mut flows: Vec<_> = program
        .triggers
        .values()
        .flatten()
        .filter(|t| matches!(symbols.method(t.body).kind, BodyKind::Flow(_)))
        .collect();
    flows.sort_by_key(|t| t.body);
    let mut out = Vec::new();
    for trigger in flows {
        let info = symbols.method(trigger.body);
        let Some(unit) = project.flows.get(info.unit) else {
            continue;
        };
        let flow = &unit.model;
        let file = unit.file;
        let span = crate::apex::Span {
            start: 0,
            end: u32::try_from(project.file(file).text.len()).unwrap_or(u32::MAX),
        };
        let mut building = Building::new(
            WriterKind::Flow,
            flow.api_name.clone(),
            super::model::describe_events(trigger.events),
            Location::of(project, file, flow.start.line_span().start),
            Group::PackageDirectory(package_directory(package_dirs, project.path(file))),
            (file, span),
        );
        building.writer.runs_on.push(RunsOn {
            start: Start::Save {
                object: trigger.object.clone(),
            },
            events: trigger.events,
        });
        let start = Target {
            method: trigger.body,
            receiver: None,
        };
        for step in &program.reach(start, OPTIONS).steps {
            building.add_method(project, step.method);
        }
        out.push(building.finish());
    }
    out
}

/// The handler a framework step enters: the step's receiver, or the class of its method, or
/// the handler that inherits that method.
fn handler_class(
    program: &crate::index::Program,
    handlers: &[ClassId],
    step: &crate::index::program::Step,
) -> Option<ClassId> {
    let owner = program.symbols.method(step.method).class;
    handlers
        .iter()
        .find(|h| Some(**h) == step.receiver || Some(**h) == owner)
        .or_else(|| {
            let owner = owner?;
            handlers
                .iter()
                .find(|h| program.symbols.is_subtype(**h, owner))
        })
        .copied()
}

fn runs_key(run: &RunsOn) -> (String, &'static str) {
    match &run.start {
        Start::Save { object } => (object.to_ascii_lowercase(), ""),
        Start::Dispatch {
            trigger, framework, ..
        } => (trigger.to_ascii_lowercase(), framework),
    }
}

fn handler_writer(
    project: &Project,
    package_dirs: &[String],
    class: ClassId,
    framework: Framework,
) -> Building {
    let symbols = &project.program.symbols;
    let info = symbols.class(class);
    let decl = symbols.decl(&project.apex, class);
    Building::new(
        WriterKind::TriggerHandler,
        info.qualified.clone(),
        framework.name().to_string(),
        Location::of(project, info.file, info.name_span.start),
        Group::PackageDirectory(package_directory(package_dirs, project.path(info.file))),
        (info.file, decl.span),
    )
}

/// Async entry points that write: what they write through the methods they call (the
/// triggers their DML runs are writers of their own).
fn async_jobs(project: &Project, package_dirs: &[String]) -> Vec<Writer> {
    let program = &project.program;
    let symbols = &program.symbols;
    let mut out = Vec::new();
    for entry in program.entry_points() {
        let (detail, declaration) = match entry.class {
            Some(class) => {
                let kinds: Vec<&str> = [
                    ("queueable", "Queueable"),
                    ("batchable", "Batchable"),
                    ("schedulable", "Schedulable"),
                    ("finalizer", "Finalizer"),
                ]
                .iter()
                .filter(|(interface, _)| symbols.implements(class, interface))
                .map(|(_, shown)| *shown)
                .collect();
                let span = symbols.decl(&project.apex, class).span;
                (kinds.join(", "), (entry.file, span))
            }
            None => {
                let first = entry.methods.first().map(|m| symbols.method(*m));
                let detail = match first.map(|m| m.kind) {
                    Some(BodyKind::Flow(_)) => "flow",
                    Some(BodyKind::Trigger) => "platform-event trigger",
                    _ => "@future",
                };
                let span = entry
                    .methods
                    .first()
                    .and_then(|m| program.body(&project.apex, *m))
                    .map_or(entry.span, |body| body.span);
                (detail.to_string(), (entry.file, span))
            }
        };
        let mut building = Building::new(
            WriterKind::AsyncJob,
            entry.label.clone(),
            detail,
            Location::of(project, entry.file, entry.span.start),
            Group::PackageDirectory(package_directory(package_dirs, project.path(entry.file))),
            declaration,
        );
        for start in entry.starts(program) {
            for step in &program.reach(start, OPTIONS).steps {
                building.add_method(project, step.method);
            }
        }
        // A job that writes nothing is not part of the lock graph.
        if building.writes.is_empty() && building.unresolved.is_empty() {
            continue;
        }
        out.push(building.finish());
    }
    out
}
