//! The whole-program index built over the parsed files: symbols, per-method facts (typed),
//! the active triggers of each object, the lock graph, and reachability through calls and
//! trigger cascades with a witness path.

use std::collections::{HashMap, HashSet, VecDeque};

use rayon::prelude::*;
use rustc_hash::FxHashSet;

use crate::apex::Span;
use crate::apex::model::{DmlKind, MethodDecl, Stmt};
use crate::metadata::{CustomMetadataRecord, ObjectMeta};

use super::events::Events;
use super::facts::{self, Facts};
use super::flows::{FlowContext, facts as flow_facts, flow_events};
use super::frameworks::{Framework, Frameworks, object_key};
use super::metadata_index::MetadataIndex;
use super::symbols::{BodyKind, ClassId, MethodId, Symbols, Target};
use super::types::SObjectNames;
use super::typing::{Context, MethodScope};
use super::{ApexUnit, FieldUnit, FlowUnit, TriggerRef, deferred, scan};

#[derive(Debug)]
pub struct ActiveTrigger {
    pub body: MethodId,
    pub object: String,
    /// The events the trigger declares.
    pub events: Events,
}

impl ActiveTrigger {
    /// The events of this trigger that a DML of this kind on its object runs.
    pub fn runs_on(&self, kind: DmlKind) -> Events {
        self.events.intersect(Events::of_dml(kind))
    }
}

/// The innermost trigger body on a path and the events it runs for.
pub type TriggerContext = Option<(MethodId, Events)>;

/// How far [`Program::reach`] follows.
#[derive(Debug, Clone, Copy, Default)]
pub struct ReachOptions {
    /// Through the triggers (and framework handlers) that DML runs.
    pub cascade: bool,
    /// Not into calls made inside a `try` that catches DML errors (what escapes `execute`).
    pub skip_caught_calls: bool,
    /// Not into calls made inside `catch` bodies: error handling runs after the work failed,
    /// and is not what a job does each time it runs.
    pub skip_error_handling: bool,
}

#[derive(Debug, Default)]
pub struct Program {
    pub symbols: Symbols,
    pub sobjects: SObjectNames,
    pub metadata: MetadataIndex,
    /// Facts of every method, by `MethodId`.
    pub facts: Vec<Facts>,
    /// Active triggers by lower-cased object.
    pub triggers: HashMap<String, Vec<ActiveTrigger>>,
    /// Does the method (or anything it calls) run a `FOR UPDATE` query? By `MethodId`.
    pub locks_transitively: Vec<bool>,
    /// Does the method (or anything it calls) perform DML? By `MethodId`.
    pub writes_transitively: Vec<bool>,
    /// Trigger-framework handlers per object and event.
    pub frameworks: Frameworks,
    /// Object keys (see `frameworks::object_key`) of custom settings: from object metadata, or
    /// read with `getOrgDefaults`/`getInstance`/`getValues`.
    pub custom_settings: HashSet<String>,
    /// By `MethodId`: reached only from an `InstallHandler`/`UninstallHandler` (never concurrent).
    pub install_only: Vec<bool>,
    /// By `ClassId`: created only by install-only code.
    pub started_by_install_only: Vec<bool>,
    /// Trigger bodies: the trigger's object and declared events.
    trigger_of: HashMap<MethodId, (String, Events)>,
    /// Flow paths that start their own transaction: scheduled paths, platform-event-triggered
    /// and schedule-triggered flows.
    flow_entries: Vec<EntryPoint>,
    /// By `MethodId`: the method (or something it calls) dispatches through a supertype of a
    /// framework handler, so which trigger the path is in changes what it reaches.
    needs_context: Vec<bool>,
}

/// A class or `@future` method that starts its own transaction.
#[derive(Debug, Clone)]
pub struct EntryPoint {
    /// `InvoiceJob`, or `Cls.method` for `@future`.
    pub label: String,
    pub file: crate::index::FileId,
    /// The class name, or the `@future` method's name.
    pub span: Span,
    /// The methods the platform calls (`execute`, `start`, `finish`, or the future method).
    pub methods: Vec<MethodId>,
    pub class: Option<ClassId>,
    /// Entry points of one piece of automation (the scheduled paths of one flow): its author
    /// designed them together, so they are not reported as contending with each other.
    pub group: Option<crate::index::FileId>,
}

impl EntryPoint {
    /// Where each platform-called method starts: on the job's own class, so that calls on
    /// `this` reach its overrides (a batch whose base class calls abstract `doExecute` reaches
    /// its own `doExecute`).
    pub fn starts(&self, program: &Program) -> Vec<Target> {
        self.methods
            .iter()
            .map(|m| program.symbols.target(*m, self.class))
            .collect()
    }
}

/// How a reached method was reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hop {
    Start,
    /// Called from the parent at this call site.
    Call(Span),
    /// A trigger run by the parent's DML at this span.
    Trigger(Span),
    /// A handler a trigger framework runs for the parent trigger's object and events.
    Framework,
}

#[derive(Debug, Clone, Copy)]
pub struct Step {
    pub method: MethodId,
    /// The class of `this`, when the path knows it.
    pub receiver: Option<ClassId>,
    /// For trigger bodies and the framework handlers they run, the events they run for here;
    /// every event elsewhere.
    pub events: Events,
    /// The innermost trigger on the path, and the events it runs for: framework dispatch
    /// inside it reaches the handlers configured for its object.
    pub context: TriggerContext,
    pub parent: Option<usize>,
    pub hop: Hop,
}

/// Methods reachable from a start, in breadth-first order (so each path is a shortest one).
impl Step {
    /// Does a write of this step's method run here? Not one under a branch for other trigger
    /// events than the step runs for.
    pub fn runs(&self, write: &facts::Write) -> bool {
        write.events.intersects(self.events)
    }
}

#[derive(Debug)]
pub struct Reach {
    pub steps: Vec<Step>,
}

impl Reach {
    /// The steps from the start to `index`, start first.
    pub fn path(&self, index: usize) -> Vec<Step> {
        let mut path = Vec::new();
        let mut current = Some(index);
        while let Some(i) = current {
            path.push(self.steps[i]);
            current = self.steps[i].parent;
        }
        path.reverse();
        path
    }
}

fn is_platform_event(object: &str) -> bool {
    object.to_ascii_lowercase().ends_with("__e")
}

/// Paths longer than this are shortened in messages.
const MAX_PATH_SHOWN: usize = 5;

/// Calls deeper than this are not followed; real call chains are far shorter.
const MAX_DEPTH: usize = 24;

impl Program {
    pub fn build(
        units: &[ApexUnit],
        flows: &[FlowUnit],
        fields: &[FieldUnit],
        objects: &[ObjectMeta],
        records: &[CustomMetadataRecord],
        triggers: Vec<TriggerRef<'_>>,
    ) -> Program {
        let mut symbols = Symbols::build(units);
        symbols.add_flows(flows);
        let metadata = MetadataIndex::build(fields);
        let sobjects = SObjectNames::new(metadata.objects.iter().cloned());
        let scanned = scan::scan(units, &symbols, records);
        let frameworks = Frameworks::build(units, &symbols, &sobjects, &scanned.tdtm, records);
        symbols.set_dispatch_facts(
            scanned.instantiated.clone(),
            frameworks.handler_classes.clone(),
        );
        let mut program = Program {
            symbols,
            sobjects,
            metadata,
            frameworks,
            ..Program::default()
        };
        let trigger_bodies: HashMap<usize, MethodId> = program
            .symbols
            .methods
            .iter()
            .enumerate()
            .filter(|(_, m)| m.kind == BodyKind::Trigger)
            .map(|(i, m)| (m.unit, MethodId(i as u32)))
            .collect();
        let unit_of_file: HashMap<_, usize> =
            units.iter().enumerate().map(|(i, u)| (u.file, i)).collect();
        for trigger in triggers.into_iter().filter(|t| t.active) {
            let Some(body) = unit_of_file
                .get(&trigger.file)
                .and_then(|unit| trigger_bodies.get(unit))
            else {
                continue;
            };
            let object = program
                .sobjects
                .sobject(&trigger.decl.object.text)
                .unwrap_or_else(|| trigger.decl.object.text.clone());
            let events = trigger
                .decl
                .events
                .iter()
                .filter_map(|e| Events::parse(e))
                .fold(Events::NONE, Events::union);
            program.trigger_of.insert(*body, (object.clone(), events));
            program
                .triggers
                .entry(object.to_ascii_lowercase())
                .or_default()
                .push(ActiveTrigger {
                    body: *body,
                    object,
                    events,
                });
        }
        program.add_flow_triggers(flows);
        let mut facts: Vec<Facts> = {
            let cx = program.context(units);
            let flow_cx = program.flow_context(units);
            (0..program.symbols.methods.len())
                .into_par_iter()
                .map(|i| {
                    let id = MethodId(i as u32);
                    let info = program.symbols.method(id);
                    if let BodyKind::Flow(path) = info.kind {
                        return flows
                            .get(info.unit)
                            .map(|f| flow_facts(&flow_cx, &f.model, usize::from(path)))
                            .unwrap_or_default();
                    }
                    match program.body(units, id) {
                        Some(body) => {
                            let scope = program.scope(&cx, id);
                            facts::collect(&scope, body.stmts)
                        }
                        None => Facts::default(),
                    }
                })
                .collect()
        };
        deferred::attribute(&mut facts);
        program.facts = facts;
        program.custom_settings = objects
            .iter()
            .filter(|o| o.custom_setting)
            .map(|o| object_key(&o.object))
            .chain(
                program
                    .facts
                    .iter()
                    .flat_map(|f| f.custom_settings.iter().map(|o| object_key(o))),
            )
            .collect();
        program.locks_transitively = program.propagate_to_callers(|f| f.has_lock_query());
        program.writes_transitively =
            program.propagate_to_callers(|f| f.own_writes().next().is_some());
        program.needs_context = program.propagate_to_callers(|f| {
            f.calls.iter().any(|call| {
                call.dispatch.as_ref().is_some_and(|(class, ..)| {
                    program
                        .symbols
                        .descendants(*class)
                        .iter()
                        .any(|d| program.symbols.is_framework_handler(*d))
                })
            })
        });
        program.install_only = program.find_install_only();
        program.started_by_install_only = program.find_started_by_install_only(&scanned.named);
        program
    }

    /// Active record-triggered flows and Process Builder processes run in their object's save,
    /// like its triggers: the same cascades follow them.
    fn add_flow_triggers(&mut self, flows: &[FlowUnit]) {
        for (index, unit) in flows.iter().enumerate() {
            let flow = &unit.model;
            if !flow.is_active() {
                continue;
            }
            let paths = self.symbols.flow_paths(index);
            // Scheduled paths run later, each in its own transaction; so do event- and
            // schedule-triggered flows.
            let mut starts: Vec<(MethodId, Span)> = paths
                .iter()
                .skip(1)
                .map(|m| (*m, self.symbols.method(*m).name_span))
                .collect();
            // A flow scheduled to run once is a one-off data change, not a recurring job.
            let recurring = flow.is_schedule_triggered() && !flow.runs_once();
            if (flow.is_platform_event_triggered() || recurring)
                && let Some(first) = paths.first()
            {
                starts.push((*first, flow.start.line_span()));
            }
            for (method, span) in starts {
                self.flow_entries.push(EntryPoint {
                    label: self.symbols.display(method),
                    file: unit.file,
                    span,
                    methods: vec![method],
                    class: None,
                    group: Some(unit.file),
                });
            }
            if !flow.is_record_triggered() {
                continue;
            }
            let (Some(object), Some(body)) = (
                flow.start.object.as_deref(),
                self.symbols.flow_paths(index).first().copied(),
            ) else {
                continue;
            };
            let events = flow_events(flow);
            if events.is_empty() {
                continue;
            }
            let object = self
                .sobjects
                .sobject(object)
                .unwrap_or_else(|| object.to_string());
            self.trigger_of.insert(body, (object.clone(), events));
            self.triggers
                .entry(object.to_ascii_lowercase())
                .or_default()
                .push(ActiveTrigger {
                    body,
                    object,
                    events,
                });
        }
    }

    /// Records that are business data, which concurrent transactions contend for: not custom
    /// settings, platform events (`__e`: publishing takes no row lock), big objects (`__b`)
    /// or custom metadata (`__mdt`).
    pub fn is_business_object(&self, object: &str) -> bool {
        let key = object_key(object);
        !(key.ends_with("__e")
            || key.ends_with("__b")
            || key.ends_with("__mdt")
            || self.custom_settings.contains(&key))
    }

    /// Methods that run only during package install or uninstall: reached from an
    /// `InstallHandler`/`UninstallHandler` and from nothing else that runs in production.
    fn find_install_only(&self) -> Vec<bool> {
        let count = self.facts.len();
        let mut only = vec![false; count];
        let seeds: Vec<usize> = (0..count)
            .filter(|i| {
                let method = self.symbols.method(MethodId(*i as u32));
                method.class.is_some_and(|c| {
                    !self.symbols.class(c).is_test
                        && (self.symbols.implements(c, "installhandler")
                            || self.symbols.implements(c, "uninstallhandler"))
                })
            })
            .collect();
        if seeds.is_empty() {
            return only;
        }
        let mut callers: Vec<Vec<usize>> = vec![Vec::new(); count];
        for (caller, facts) in self.facts.iter().enumerate() {
            if self.symbols.method(MethodId(caller as u32)).is_test {
                continue;
            }
            for target in facts.calls.iter().flat_map(|c| c.methods()) {
                callers[target.index()].push(caller);
            }
        }
        let mut stack = seeds.clone();
        for seed in &seeds {
            only[*seed] = true;
        }
        while let Some(method) = stack.pop() {
            for target in self.facts[method].calls.iter().flat_map(|c| c.methods()) {
                if !only[target.index()] {
                    only[target.index()] = true;
                    stack.push(target.index());
                }
            }
        }
        let is_seed: HashSet<usize> = seeds.into_iter().collect();
        // Drop what anything else reaches, until nothing changes.
        loop {
            let mut changed = false;
            for method in 0..count {
                if !only[method] || is_seed.contains(&method) {
                    continue;
                }
                let info = self.symbols.method(MethodId(method as u32));
                let other_root = info.externally_invoked
                    || info.kind == BodyKind::Trigger
                    || callers[method].iter().any(|c| !only[*c]);
                if other_root {
                    only[method] = false;
                    changed = true;
                }
            }
            if !changed {
                break;
            }
        }
        only
    }

    /// Classes created only by install-only code (and never named for creation by name).
    fn find_started_by_install_only(&self, named: &[bool]) -> Vec<bool> {
        let mut created_elsewhere = vec![false; self.symbols.classes.len()];
        let mut created_by_install = vec![false; self.symbols.classes.len()];
        for (method, facts) in self.facts.iter().enumerate() {
            if self.symbols.method(MethodId(method as u32)).is_test {
                continue;
            }
            for class in &facts.creates {
                if self.install_only[method] {
                    created_by_install[class.index()] = true;
                } else {
                    created_elsewhere[class.index()] = true;
                }
            }
        }
        (0..self.symbols.classes.len())
            .map(|c| {
                created_by_install[c]
                    && !created_elsewhere[c]
                    && !named.get(c).copied().unwrap_or(false)
            })
            .collect()
    }

    /// Test code or install-only code: never concurrent, never a race.
    pub fn never_concurrent(&self, method: MethodId) -> bool {
        self.symbols.method(method).is_test
            || self
                .install_only
                .get(method.index())
                .copied()
                .unwrap_or(false)
    }

    /// Mark every method whose facts satisfy `seed`, then every method that calls a marked
    /// one (not through `@future`), in one pass over the reversed call graph.
    fn propagate_to_callers(&self, seed: impl Fn(&Facts) -> bool) -> Vec<bool> {
        let count = self.facts.len();
        let mut callers: Vec<Vec<usize>> = vec![Vec::new(); count];
        for (caller, facts) in self.facts.iter().enumerate() {
            for target in facts.calls.iter().flat_map(|c| c.methods()) {
                if !self.symbols.method(target).is_future {
                    callers[target.index()].push(caller);
                }
            }
        }
        let mut marked: Vec<bool> = self.facts.iter().map(&seed).collect();
        let mut stack: Vec<usize> = (0..count).filter(|i| marked[*i]).collect();
        while let Some(method) = stack.pop() {
            for caller in &callers[method] {
                if !marked[*caller] {
                    marked[*caller] = true;
                    stack.push(*caller);
                }
            }
        }
        marked
    }

    /// Async entry points: classes implementing Queueable, Database.Batchable, Schedulable or
    /// Finalizer, and `@future` methods; not test classes, abstract classes, interfaces, or
    /// code that only package install runs. In file and position order.
    pub fn entry_points(&self) -> Vec<EntryPoint> {
        let mut entries = Vec::new();
        for (index, class) in self.symbols.classes.iter().enumerate() {
            let id = ClassId(index as u32);
            if class.is_test || !class.is_concrete() || self.started_by_install_only[index] {
                continue;
            }
            // A Queueable, batch or Finalizer runs only once something creates it: code in the
            // project, or (for a global class) code outside it. One nothing creates is dead
            // code, or a tool run by hand. A Schedulable can be scheduled from Setup.
            if !self.symbols.is_instantiated(id)
                && !class.is_global
                && !self.symbols.implements(id, "schedulable")
            {
                continue;
            }
            let mut methods: Vec<MethodId> = Vec::new();
            if ["queueable", "schedulable", "finalizer"]
                .iter()
                .any(|i| self.symbols.implements(id, i))
            {
                methods.extend(self.symbols.find_methods(id, "execute", 1));
            }
            if self.symbols.implements(id, "batchable") {
                methods.extend(self.symbols.find_methods(id, "start", 1));
                methods.extend(self.symbols.find_methods(id, "execute", 2));
                methods.extend(self.symbols.find_methods(id, "finish", 1));
            }
            methods.sort();
            methods.dedup();
            if !methods.is_empty() {
                entries.push(EntryPoint {
                    label: class.qualified.clone(),
                    file: class.file,
                    span: class.name_span,
                    methods,
                    class: Some(id),
                    group: None,
                });
            }
        }
        // Triggers on platform events run after the publishing transaction, in their own.
        for trigger in self.triggers.values().flatten() {
            let info = self.symbols.method(trigger.body);
            if info.kind == BodyKind::Trigger && is_platform_event(&trigger.object) {
                entries.push(EntryPoint {
                    label: self.symbols.display(trigger.body),
                    file: info.file,
                    span: info.name_span,
                    methods: vec![trigger.body],
                    class: None,
                    group: None,
                });
            }
        }
        entries.extend(self.flow_entries.iter().cloned());
        for (index, method) in self.symbols.methods.iter().enumerate() {
            let id = MethodId(index as u32);
            if method.is_future && !self.never_concurrent(id) {
                entries.push(EntryPoint {
                    label: self.symbols.display(id),
                    file: method.file,
                    span: method.name_span,
                    methods: vec![id],
                    class: None,
                    group: None,
                });
            }
        }
        entries.sort_by_key(|e| (e.file, e.span.start));
        entries
    }

    /// What resolving a flow's references needs.
    pub fn flow_context<'p>(&'p self, units: &'p [ApexUnit]) -> FlowContext<'p> {
        FlowContext {
            units,
            symbols: &self.symbols,
            sobjects: &self.sobjects,
            metadata: &self.metadata,
        }
    }

    pub fn context<'p>(&'p self, units: &'p [ApexUnit]) -> Context<'p> {
        Context {
            units,
            symbols: &self.symbols,
            sobjects: &self.sobjects,
            metadata: &self.metadata,
        }
    }

    /// The statements of a method or trigger body, with the span they are visible in.
    pub fn body<'u>(&self, units: &'u [ApexUnit], id: MethodId) -> Option<Body<'u>> {
        let info = self.symbols.method(id);
        if matches!(info.kind, BodyKind::Flow(_)) {
            return None;
        }
        let model = &units.get(info.unit)?.model;
        match info.decl {
            Some(_) => {
                let decl = self.symbols.method_decl(units, id)?;
                let stmts = decl.body.as_deref()?;
                Some(Body {
                    decl: Some(decl),
                    stmts,
                    span: decl.span,
                })
            }
            None => {
                let trigger = model.trigger.as_ref()?;
                Some(Body {
                    decl: None,
                    stmts: &trigger.body,
                    span: trigger.span,
                })
            }
        }
    }

    /// A typing scope for a method body (parameters and locals declared).
    pub fn scope<'p>(&'p self, cx: &'p Context<'p>, id: MethodId) -> MethodScope<'p> {
        let info = self.symbols.method(id);
        let trigger_object = match info.kind {
            BodyKind::Trigger => cx.units[info.unit].model.trigger.as_ref().map(|t| {
                self.sobjects
                    .sobject(&t.object.text)
                    .unwrap_or_else(|| t.object.text.clone())
            }),
            BodyKind::Method(_) | BodyKind::Flow(_) => None,
        };
        let body = self.body(cx.units, id);
        let (params, stmts, span): (&[_], &[Stmt], Span) = match &body {
            Some(b) => (
                b.decl.map_or(&[][..], |d| d.params.as_slice()),
                b.stmts,
                b.span,
            ),
            None => (&[], &[], Span::default()),
        };
        MethodScope::new(
            cx,
            Some(id),
            info.class,
            trigger_object,
            params,
            stmts,
            span,
        )
    }

    /// Active triggers on an object.
    pub fn triggers_on(&self, object: &str) -> &[ActiveTrigger] {
        self.triggers
            .get(&object.to_ascii_lowercase())
            .map_or(&[], Vec::as_slice)
    }

    /// Everything `start` reaches through calls (not into `@future` methods, which run in their
    /// own transaction) and, with `cascade`, through the triggers and framework handlers its
    /// DML runs. Calls on `this` follow the receiver the path knows.
    pub fn reach(&self, start: Target, options: ReachOptions) -> Reach {
        let start_events = self
            .trigger_of
            .get(&start.method)
            .map_or(Events::ALL, |(_, events)| *events);
        let start_context = self
            .trigger_of
            .contains_key(&start.method)
            .then_some((start.method, start_events));
        let mut steps = vec![Step {
            method: start.method,
            receiver: start.receiver,
            events: start_events,
            context: start_context,
            parent: None,
            hop: Hop::Start,
        }];
        type Seen = (
            MethodId,
            Option<ClassId>,
            Events,
            Option<(MethodId, Events)>,
        );
        // Hashed with Fx: a few small integers, hashed for every step of every reach; never
        // iterated, so the hasher cannot change an order.
        let mut seen: FxHashSet<Seen> = FxHashSet::default();
        seen.insert((start.method, start.receiver, start_events, start_context));
        // (target, how, events if it is a trigger body, the trigger context below it), for the
        // step at hand; one buffer for all of them.
        let mut next: Vec<(Target, Hop, Events, TriggerContext)> = Vec::new();
        let mut queue: VecDeque<(usize, usize)> = VecDeque::from([(0, 0)]);
        while let Some((index, depth)) = queue.pop_front() {
            if depth >= MAX_DEPTH {
                continue;
            }
            let step = steps[index];
            let facts = &self.facts[step.method.index()];
            let trigger = self.trigger_of.get(&step.method);
            for call in &facts.calls {
                if (options.skip_caught_calls && call.caught)
                    || (options.skip_error_handling && call.in_catch)
                {
                    continue;
                }
                // A trigger body's call under `if (Trigger.isInsert)`, or a framework handler's
                // under `if (triggerAction == Action.AfterInsert)`, runs for inserts only.
                if !call.events.intersects(step.events) {
                    continue;
                }
                for target in self.call_targets(call, step.receiver, step.context) {
                    if !self.symbols.method(target.method).is_future {
                        let events = self.handler_events(target, step.context);
                        next.push((target, Hop::Call(call.span), events, step.context));
                    }
                }
            }
            if options.cascade {
                for write in &facts.writes {
                    if (options.skip_error_handling && write.in_catch)
                        || !write.events.intersects(step.events)
                    {
                        continue;
                    }
                    let Some(object) = &write.object else {
                        continue;
                    };
                    // Publishing an event runs its subscribers later, not in this save.
                    if is_platform_event(object) {
                        continue;
                    }
                    for trigger in self.triggers_on(object) {
                        let events = trigger.runs_on(write.kind);
                        if !events.is_empty() {
                            let target = Target {
                                method: trigger.body,
                                receiver: None,
                            };
                            let context = Some((trigger.body, events));
                            next.push((target, Hop::Trigger(write.span), events, context));
                        }
                    }
                }
            }
            let apex_trigger = self.symbols.method(step.method).kind == BodyKind::Trigger;
            if let (Some((object, _)), true) = (trigger, apex_trigger) {
                for handler in self.frameworks.handlers_on(object) {
                    let events = step.events.intersect(handler.events);
                    for method in handler.entry_methods(&self.symbols, events) {
                        let target = self.symbols.target(method, Some(handler.class));
                        // The handler learns the event from the framework (TDTM's
                        // `triggerAction`): its branches for other events do not run.
                        next.push((target, Hop::Framework, events, step.context));
                    }
                }
                for (flow, events) in self.frameworks.flows_on(object) {
                    if step.events.intersects(*events) {
                        let target = Target {
                            method: *flow,
                            receiver: None,
                        };
                        next.push((target, Hop::Framework, Events::ALL, step.context));
                    }
                }
            }
            for (target, hop, events, context) in next.drain(..) {
                // Only a path that can reach framework dispatch depends on its trigger.
                let context = context.filter(|_| self.needs_context[target.method.index()]);
                if seen.insert((target.method, target.receiver, events, context)) {
                    steps.push(Step {
                        method: target.method,
                        receiver: target.receiver,
                        events,
                        context,
                        parent: Some(index),
                        hop,
                    });
                    queue.push_back((steps.len() - 1, depth + 1));
                }
            }
        }
        Reach { steps }
    }

    /// What a call runs, given what the path knows: a call on `this` runs the override of the
    /// receiver's class; `super.m()` runs on the same receiver; inside a trigger, a virtual or
    /// interface call also reaches the framework handlers configured for the trigger's object
    /// and events (the framework's dispatcher runs them).
    pub fn call_targets(
        &self,
        call: &facts::CallSite,
        receiver: Option<ClassId>,
        context: TriggerContext,
    ) -> Vec<Target> {
        if let (Some((name, arity)), Some(receiver)) = (&call.on_this, receiver) {
            let found: Vec<Target> = self
                .symbols
                .find_methods(receiver, name, *arity)
                .into_iter()
                .map(|m| self.symbols.target(m, Some(receiver)))
                .collect();
            if !found.is_empty() {
                return found;
            }
        }
        if call.keeps_receiver {
            return call
                .targets
                .iter()
                .map(|t| self.symbols.target(t.method, receiver))
                .collect();
        }
        let mut targets = call.targets.clone();
        if let (Some((class, name, arity)), Some((trigger, events))) = (&call.dispatch, context)
            && let Some((object, _)) = self.trigger_of.get(&trigger)
        {
            for handler in self.frameworks.handlers_on(object) {
                if handler.class == *class
                    || !handler.events.intersects(events)
                    || !self.symbols.is_subtype(handler.class, *class)
                {
                    continue;
                }
                for method in self.symbols.find_methods(handler.class, name, *arity) {
                    targets.push(self.symbols.target(method, Some(handler.class)));
                }
            }
            targets.sort();
            targets.dedup();
        }
        targets
    }

    /// The events a TDTM handler's `run` is told it runs for, when a dispatcher inside a
    /// trigger calls it: the trigger's, as far as the handler is configured for them. Every
    /// event for any other call.
    fn handler_events(&self, target: Target, context: TriggerContext) -> Events {
        let Some((trigger, events)) = context else {
            return Events::ALL;
        };
        let Some((object, _)) = self.trigger_of.get(&trigger) else {
            return Events::ALL;
        };
        let method = self.symbols.method(target.method);
        if method.arity != 4 || !method.name.eq_ignore_ascii_case("run") {
            return Events::ALL;
        }
        let class = target.receiver.or(method.class);
        self.frameworks
            .handlers_on(object)
            .iter()
            .find(|h| h.framework == Framework::Tdtm && Some(h.class) == class)
            .map_or(Events::ALL, |h| events.intersect(h.events))
    }

    /// The trigger's object and events, for a trigger body.
    pub fn trigger_of(&self, body: MethodId) -> Option<(&str, Events)> {
        self.trigger_of
            .get(&body)
            .map(|(object, events)| (object.as_str(), *events))
    }

    /// `A.execute → B.post` for a path; a path of more than five steps shows the first two
    /// and the last two, with how many calls lie between.
    pub fn describe_path(&self, path: &[Step]) -> String {
        let methods: Vec<MethodId> = path.iter().map(|step| step.method).collect();
        self.describe_methods(&methods)
    }

    /// [`Program::describe_path`] for the methods of a path.
    pub fn describe_methods(&self, path: &[MethodId]) -> String {
        let name = |method: &MethodId| self.symbols.display(*method);
        match path {
            // Only the names shown are formatted: long paths show four.
            [first, second, .., before_last, last] if path.len() > MAX_PATH_SHOWN => {
                let hidden = path.len() - 4;
                let calls = if hidden == 1 { "call" } else { "calls" };
                format!(
                    "{} → {} → … {hidden} {calls} … → {} → {}",
                    name(first),
                    name(second),
                    name(before_last),
                    name(last)
                )
            }
            _ => path.iter().map(name).collect::<Vec<_>>().join(" → "),
        }
    }

    /// The class a method belongs to, for async entry points.
    pub fn class_of(&self, method: MethodId) -> Option<ClassId> {
        self.symbols.method(method).class
    }
}

/// A method or trigger body.
pub struct Body<'u> {
    pub decl: Option<&'u MethodDecl>,
    pub stmts: &'u [Stmt],
    pub span: Span,
}
