//! Records the transaction already holds locked. A save locks the records being saved (a
//! trigger's `Trigger.new`, `Trigger.old` …) and their locked parents until it ends, and the
//! records it inserts are its own until it commits (nobody else can see them), so a check
//! keyed only on those records cannot race another transaction: the other one waits for the
//! locks first. This follows such records through locals, collections (`ids.add(c.Id)`,
//! `byParent.put(c.Account__c, c)`), and parameters that receive nothing else.
//!
//! Demand-driven: only the methods a rule asks about are analysed, with their callers.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};

use crate::apex::Span;
use crate::apex::model::{Expr, ExprKind, Stmt, StmtKind, TypeRef};
use crate::apex::visit::{self, Visit};

use super::Project;
use super::events::Events;
use super::frameworks::Framework;
use super::symbols::{BodyKind, MethodId};
use super::types::Ty;
use super::typing::{MethodScope, Root};

/// Answers "does this expression hold only records (or Ids of records) the transaction has
/// locked?" for the methods of a project.
pub struct Held<'p> {
    project: &'p Project,
    /// Callers of each method: `(caller, call span)`.
    callers: HashMap<MethodId, Vec<(MethodId, Span)>>,
    /// `(method, parameter)` → receives only held records. `None` while being decided (a
    /// recursive call assumes it does: the greatest fixpoint).
    params: RefCell<HashMap<(MethodId, usize), Option<bool>>>,
    /// Framework handler methods whose list parameters are the trigger's records.
    framework_entries: HashMap<MethodId, Framework>,
}

/// Calls followed upward when deciding a parameter; deeper chains are not trusted.
const MAX_CALLER_DEPTH: usize = 8;

impl<'p> Held<'p> {
    pub fn new(project: &'p Project) -> Held<'p> {
        let program = &project.program;
        let mut callers: HashMap<MethodId, Vec<(MethodId, Span)>> = HashMap::new();
        for (index, facts) in program.facts.iter().enumerate() {
            let caller = MethodId(index as u32);
            if program.never_concurrent(caller) {
                continue;
            }
            for call in &facts.calls {
                for target in call.methods() {
                    callers.entry(target).or_default().push((caller, call.span));
                }
            }
        }
        let mut framework_entries = HashMap::new();
        for trigger in program.triggers.values().flatten() {
            for handler in program.frameworks.handlers_on(&trigger.object) {
                for method in handler.entry_methods(&program.symbols, Events::ALL) {
                    framework_entries.insert(method, handler.framework);
                }
            }
        }
        Held {
            project,
            callers,
            params: RefCell::new(HashMap::new()),
            framework_entries,
        }
    }

    /// The held-record analysis of one method's body.
    pub fn in_method<'a>(
        &'a self,
        method: MethodId,
        scope: &'a MethodScope<'a>,
        body: &'a [Stmt],
    ) -> HeldIn<'a> {
        let mut flows = Flows::default();
        flows.visit_block(body);
        let mut held_in = HeldIn {
            held: self,
            method,
            depth: 0,
            scope,
            locals: HashMap::new(),
        };
        held_in.solve(&flows);
        held_in
    }

    /// Does parameter `position` of `method` receive only held records?
    fn param(&self, method: MethodId, position: usize, depth: usize) -> bool {
        if let Some(known) = self.params.borrow().get(&(method, position)) {
            return known.unwrap_or(true);
        }
        let program = &self.project.program;
        let info = program.symbols.method(method);
        // TDTM's `run(newlist, oldlist, …)`, the Trigger Actions' `afterUpdate(newList, oldList)`.
        if let Some(framework) = self.framework_entries.get(&method) {
            let records = match framework {
                Framework::Tdtm => position < 2,
                Framework::TriggerActions => true,
                Framework::FflibDomain | Framework::Configured => false,
            };
            if records {
                return true;
            }
        }
        // Called from outside, or from nowhere we see: anything may arrive.
        let callers = self.callers.get(&method).map_or(&[][..], Vec::as_slice);
        // A future method runs after the caller committed: what it receives is no longer held.
        if info.externally_invoked
            || info.is_future
            || info.kind == BodyKind::Trigger
            || callers.is_empty()
            || depth > MAX_CALLER_DEPTH
        {
            return false;
        }
        self.params.borrow_mut().insert((method, position), None);
        let mut all_held = true;
        for (caller, span) in callers {
            if !self.argument_held(*caller, *span, position, depth + 1) {
                all_held = false;
                break;
            }
        }
        self.params
            .borrow_mut()
            .insert((method, position), Some(all_held));
        all_held
    }

    /// Is argument `position` of the call at `span` in `caller` held there?
    fn argument_held(&self, caller: MethodId, span: Span, position: usize, depth: usize) -> bool {
        let program = &self.project.program;
        let units = &self.project.apex;
        let Some(body) = program.body(units, caller) else {
            return false;
        };
        let mut finder = CallAt { span, args: None };
        finder.visit_block(body.stmts);
        let Some(arg) = finder.args.and_then(|args| args.get(position)) else {
            return false;
        };
        let cx = program.context(units);
        let scope = program.scope(&cx, caller);
        let mut flows = Flows::default();
        flows.visit_block(body.stmts);
        let mut held_in = HeldIn {
            held: self,
            method: caller,
            depth,
            scope: &scope,
            locals: HashMap::new(),
        };
        held_in.solve(&flows);
        held_in.is_held(arg)
    }
}

/// Held records inside one method.
pub struct HeldIn<'a> {
    held: &'a Held<'a>,
    method: MethodId,
    depth: usize,
    scope: &'a MethodScope<'a>,
    /// Local → (fed by a held value, fed by anything else).
    locals: HashMap<LocalKey, (bool, bool)>,
}

/// A local by its lower-cased name and where it was declared: two locals of one name in
/// different blocks are different variables.
type LocalKey = (String, Option<u32>);

/// `target ← source` for a local named at `at`.
struct Flow<'a> {
    target: String,
    at: u32,
    source: &'a Expr,
}

impl HeldIn<'_> {
    fn key(&self, name: String, at: u32) -> LocalKey {
        let declared = self.scope.local_declared_at(&name, at);
        (name, declared)
    }

    fn solve(&mut self, flows: &Flows<'_>) {
        // Records this transaction inserted are its own until it commits.
        let inserted: HashSet<LocalKey> = flows
            .inserted
            .iter()
            .map(|(name, at)| self.key(name.clone(), *at))
            .collect();
        for key in &inserted {
            self.locals.insert(key.clone(), (true, false));
        }
        let targets: Vec<LocalKey> = flows
            .flows
            .iter()
            .map(|flow| self.key(flow.target.clone(), flow.at))
            .collect();
        // Each round can only set flags; two flags per local bound it.
        for _ in 0..16 {
            let mut changed = false;
            for (flow, target) in flows.flows.iter().zip(&targets) {
                if inserted.contains(target) {
                    continue;
                }
                if is_empty_value(flow.source) {
                    continue;
                }
                let held = self.is_held(flow.source);
                let entry = self.locals.entry(target.clone()).or_insert((false, false));
                let before = *entry;
                if held {
                    entry.0 = true;
                } else {
                    entry.1 = true;
                }
                changed |= *entry != before;
            }
            if !changed {
                break;
            }
        }
    }

    /// Does the expression hold only locked records, their Ids, or their locked parents' Ids?
    pub fn is_held(&self, expr: &Expr) -> bool {
        self.held_at(expr, 0)
    }

    fn held_at(&self, expr: &Expr, depth: usize) -> bool {
        if depth > 32 {
            return false;
        }
        let next = depth + 1;
        match &expr.kind {
            ExprKind::Field { object, name } if is_trigger_records(object, name) => true,
            ExprKind::Field { object, name } => {
                if !self.held_at(object, next) {
                    return false;
                }
                // The record's Id, or a relationship that locks its parent.
                if name.is("Id") {
                    return true;
                }
                match self.scope.type_of(object) {
                    Ty::SObject(sobject) => self
                        .scope
                        .cx
                        .metadata
                        .locked_parents(&sobject)
                        .iter()
                        .any(|edge| edge.field.eq_ignore_ascii_case(&name.text)),
                    _ => false,
                }
            }
            ExprKind::Name(_) => match self.scope.root_of(expr) {
                Some(Root::Local(name)) => {
                    let key = self.key(name, expr.span.start);
                    matches!(self.locals.get(&key), Some((true, false)))
                }
                Some(Root::Param(position)) => self.held.param(self.method, position, self.depth),
                _ => false,
            },
            ExprKind::Call(call) => {
                let accessor = [
                    "keyset",
                    "values",
                    "get",
                    "clone",
                    "deepclone",
                    "iterator",
                    "getid",
                ]
                .contains(&call.name.key().as_str());
                if accessor {
                    return call
                        .receiver
                        .as_ref()
                        .is_some_and(|r| self.held_at(r, next));
                }
                // A selector that re-reads held records (`queryContacts(newContacts)`): it
                // returns records of the type it was given, keyed on them.
                let Some(returned) = self.scope.records_object(expr) else {
                    return false;
                };
                !call.args.is_empty()
                    && call.args.iter().all(|a| self.held_at(a, next))
                    && call.args.iter().any(|a| {
                        self.scope
                            .records_object(a)
                            .is_some_and(|o| o.eq_ignore_ascii_case(&returned))
                    })
                    && !self.scope.resolve_call(call, expr.span.start).is_empty()
            }
            // `new Set<Id>(ids)`, `new Map<Id, Contact>(contacts)`.
            ExprKind::New { ty, args } if is_collection(ty) => {
                args.len() == 1 && self.held_at(&args[0], next)
            }
            // `Database.insert(records, false)`: the results name rows this transaction created.
            ExprKind::Dml(dml) => dml.kind == crate::apex::model::DmlKind::Insert,
            ExprKind::Cast { value, .. } => self.held_at(value, next),
            ExprKind::Index { target, .. } => self.held_at(target, next),
            ExprKind::Ternary {
                then, otherwise, ..
            } => self.held_at(then, next) && self.held_at(otherwise, next),
            _ => false,
        }
    }

    /// A query whose filter binds only held values: keyed on rows this transaction holds.
    pub fn query_keyed_on_held(&self, binds: &[Expr]) -> bool {
        !binds.is_empty() && binds.iter().all(|b| self.is_held(b))
    }
}

/// `Trigger.new`, `Trigger.newMap`, `Trigger.old`, `Trigger.oldMap`.
fn is_trigger_records(object: &Expr, name: &crate::apex::model::Ident) -> bool {
    matches!(object.platform_class(), Some(base) if base.is("Trigger"))
        && ["new", "newmap", "old", "oldmap"].contains(&name.key().as_str())
}

fn is_collection(ty: &TypeRef) -> bool {
    ty.array || ["List", "Set", "Map"].iter().any(|c| ty.is(c))
}

/// `new Set<Id>()`, `null`: a starting value that holds nothing yet.
fn is_empty_value(expr: &Expr) -> bool {
    match &expr.kind {
        ExprKind::New { ty, args } => is_collection(ty) && args.is_empty(),
        ExprKind::Literal(text) => text.eq_ignore_ascii_case("null"),
        _ => false,
    }
}

/// Every way a local takes a value: declarations, assignments, for-each variables, and
/// collection fills (`add`, `addAll`, and the key of `put`); and the locals inserted.
#[derive(Default)]
struct Flows<'a> {
    flows: Vec<Flow<'a>>,
    /// Inserted locals, by name and where named.
    inserted: Vec<(String, u32)>,
    /// Locals declared as one record (`Account a`, a for-each variable over records): their
    /// `put(field, value)` sets a field, and fills nothing.
    records: HashSet<String>,
    /// Locals declared as collections somewhere in the body.
    collections: HashSet<String>,
}

impl Flows<'_> {
    fn declare(&mut self, name: String, ty: &TypeRef) {
        if is_collection(ty) {
            self.collections.insert(name);
        } else {
            self.records.insert(name);
        }
    }

    /// A call on `name` can fill it: it is not known to be a single record.
    fn may_be_collection(&self, name: &str) -> bool {
        self.collections.contains(name) || !self.records.contains(name)
    }
}

impl<'a> Visit<'a> for Flows<'a> {
    fn visit_stmt(&mut self, stmt: &'a Stmt) {
        match &stmt.kind {
            StmtKind::Local { vars, ty } => {
                for (name, init) in vars {
                    self.declare(name.key(), ty);
                    if let Some(init) = init {
                        self.flows.push(Flow {
                            target: name.key(),
                            at: stmt.span.start,
                            source: init,
                        });
                    }
                }
            }
            StmtKind::Loop(l) => {
                if let Some(each) = &l.each {
                    self.declare(each.name.key(), &each.ty);
                    self.flows.push(Flow {
                        target: each.name.key(),
                        at: stmt.span.start,
                        source: &each.iterable,
                    });
                }
            }
            _ => {}
        }
        visit::walk_stmt(self, stmt);
    }

    fn visit_expr(&mut self, expr: &'a Expr) {
        match &expr.kind {
            ExprKind::Dml(dml) if dml.kind == crate::apex::model::DmlKind::Insert => {
                if let ExprKind::Name(name) = &dml.target.kind {
                    self.inserted.push((name.key(), dml.target.span.start));
                }
            }
            ExprKind::Assign { target, value } => {
                if let ExprKind::Name(name) = &target.kind {
                    self.flows.push(Flow {
                        target: name.key(),
                        at: target.span.start,
                        source: value,
                    });
                }
            }
            ExprKind::Call(call) => {
                if let Some(receiver) = &call.receiver
                    && let ExprKind::Name(name) = &receiver.kind
                    && self.may_be_collection(&name.key())
                {
                    let source = match call.name.key().as_str() {
                        "add" | "addall" => call.args.last(),
                        "put" => call.args.first(),
                        _ => None,
                    };
                    if let Some(source) = source {
                        self.flows.push(Flow {
                            target: name.key(),
                            at: receiver.span.start,
                            source,
                        });
                    }
                }
            }
            _ => {}
        }
        visit::walk_expr(self, expr);
    }
}

/// The arguments of the call or `new` expression at a span.
struct CallAt<'a> {
    span: Span,
    args: Option<&'a [Expr]>,
}

impl<'a> Visit<'a> for CallAt<'a> {
    fn visit_expr(&mut self, expr: &'a Expr) {
        if self.args.is_some() {
            return;
        }
        if expr.span == self.span {
            match &expr.kind {
                ExprKind::Call(call) => self.args = Some(&call.args),
                ExprKind::New { args, .. } => self.args = Some(args),
                _ => {}
            }
        }
        visit::walk_expr(self, expr);
    }
}
