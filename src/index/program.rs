//! The whole-program index built over the parsed files: symbols, per-method facts (typed),
//! the active triggers of each object, the lock graph, and reachability through calls and
//! trigger cascades with a witness path.

use std::collections::{HashMap, HashSet, VecDeque};

use rayon::prelude::*;

use crate::apex::Span;
use crate::apex::model::{DmlKind, MethodDecl, Stmt};

use super::facts::{self, Facts};
use super::metadata_index::MetadataIndex;
use super::symbols::{BodyKind, ClassId, MethodId, Symbols};
use super::types::SObjectNames;
use super::typing::{Context, MethodScope};
use super::{ApexUnit, FieldUnit, TriggerRef};

#[derive(Debug)]
pub struct ActiveTrigger {
    pub body: MethodId,
    pub object: String,
    /// Lower-cased events (`after update` …).
    pub events: Vec<String>,
}

impl ActiveTrigger {
    /// Does a DML of this kind on the trigger's object run this trigger?
    pub fn runs_on(&self, kind: DmlKind) -> bool {
        let words: &[&str] = match kind {
            DmlKind::Insert => &["insert"],
            DmlKind::Update => &["update"],
            DmlKind::Upsert => &["insert", "update"],
            DmlKind::Delete => &["delete"],
            DmlKind::Undelete => &["undelete"],
            DmlKind::Merge => &["delete", "update"],
        };
        self.events
            .iter()
            .any(|e| words.iter().any(|w| e.ends_with(w)))
    }
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
}

/// How a reached method was reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hop {
    Start,
    /// Called from the parent at this call site.
    Call(Span),
    /// A trigger run by the parent's DML at this span.
    Trigger(Span),
}

#[derive(Debug, Clone, Copy)]
pub struct Step {
    pub method: MethodId,
    pub parent: Option<usize>,
    pub hop: Hop,
}

/// Methods reachable from a start, in breadth-first order (so each path is a shortest one).
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

/// Calls deeper than this are not followed; real call chains are far shorter.
const MAX_DEPTH: usize = 24;

impl Program {
    pub fn build(
        units: &[ApexUnit],
        fields: &[FieldUnit],
        triggers: Vec<TriggerRef<'_>>,
    ) -> Program {
        let symbols = Symbols::build(units);
        let metadata = MetadataIndex::build(fields);
        let sobjects = SObjectNames::new(metadata.objects.iter().cloned());
        let mut program = Program {
            symbols,
            sobjects,
            metadata,
            facts: Vec::new(),
            triggers: HashMap::new(),
            locks_transitively: Vec::new(),
            writes_transitively: Vec::new(),
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
            program
                .triggers
                .entry(object.to_ascii_lowercase())
                .or_default()
                .push(ActiveTrigger {
                    body: *body,
                    object,
                    events: trigger.decl.events.clone(),
                });
        }
        let facts: Vec<Facts> = {
            let cx = program.context(units);
            (0..program.symbols.methods.len())
                .into_par_iter()
                .map(|i| {
                    let id = MethodId(i as u32);
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
        program.facts = facts;
        program.locks_transitively = program.propagate_to_callers(|f| f.has_lock_query());
        program.writes_transitively = program.propagate_to_callers(|f| !f.writes.is_empty());
        program
    }

    /// Mark every method whose facts satisfy `seed`, then every method that calls a marked
    /// one (not through `@future`), in one pass over the reversed call graph.
    fn propagate_to_callers(&self, seed: impl Fn(&Facts) -> bool) -> Vec<bool> {
        let count = self.facts.len();
        let mut callers: Vec<Vec<usize>> = vec![Vec::new(); count];
        for (caller, facts) in self.facts.iter().enumerate() {
            for call in &facts.calls {
                for target in &call.targets {
                    if !self.symbols.method(*target).is_future {
                        callers[target.index()].push(caller);
                    }
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
    /// Finalizer, and `@future` methods; not test classes, abstract classes or interfaces.
    /// In file and position order.
    pub fn entry_points(&self) -> Vec<EntryPoint> {
        let mut entries = Vec::new();
        for (index, class) in self.symbols.classes.iter().enumerate() {
            let id = ClassId(index as u32);
            if class.is_test || class.is_abstract {
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
                });
            }
        }
        for (index, method) in self.symbols.methods.iter().enumerate() {
            let in_test = method.class.is_some_and(|c| self.symbols.class(c).is_test);
            if method.is_future && !in_test {
                entries.push(EntryPoint {
                    label: self.symbols.display(MethodId(index as u32)),
                    file: method.file,
                    span: method.name_span,
                    methods: vec![MethodId(index as u32)],
                    class: method.class,
                });
            }
        }
        entries.sort_by_key(|e| (e.file, e.span.start));
        entries
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
        let model = &units[info.unit].model;
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
            BodyKind::Method(_) => None,
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
    /// own transaction) and, with `cascade`, through the triggers its DML runs.
    pub fn reach(&self, start: MethodId, cascade: bool) -> Reach {
        let mut steps = vec![Step {
            method: start,
            parent: None,
            hop: Hop::Start,
        }];
        let mut seen: HashSet<MethodId> = HashSet::from([start]);
        let mut queue: VecDeque<(usize, usize)> = VecDeque::from([(0, 0)]);
        while let Some((index, depth)) = queue.pop_front() {
            if depth >= MAX_DEPTH {
                continue;
            }
            let method = steps[index].method;
            let facts = &self.facts[method.index()];
            let mut next: Vec<(MethodId, Hop)> = Vec::new();
            for call in &facts.calls {
                for target in &call.targets {
                    if !self.symbols.method(*target).is_future {
                        next.push((*target, Hop::Call(call.span)));
                    }
                }
            }
            if cascade {
                for write in &facts.writes {
                    let Some(object) = &write.object else {
                        continue;
                    };
                    for trigger in self.triggers_on(object) {
                        if trigger.runs_on(write.kind) {
                            next.push((trigger.body, Hop::Trigger(write.span)));
                        }
                    }
                }
            }
            for (target, hop) in next {
                if seen.insert(target) {
                    steps.push(Step {
                        method: target,
                        parent: Some(index),
                        hop,
                    });
                    queue.push_back((steps.len() - 1, depth + 1));
                }
            }
        }
        Reach { steps }
    }

    /// `A.execute → B.post` for a path.
    pub fn describe_path(&self, path: &[Step]) -> String {
        path.iter()
            .map(|step| self.symbols.display(step.method))
            .collect::<Vec<_>>()
            .join(" → ")
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
