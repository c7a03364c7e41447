use std::collections::{BTreeSet, HashMap, HashSet};

use super::{Finding, Rule, RuleMeta, declare_rule};
use crate::apex::Span;
use crate::apex::model::{Dml, DmlKind, Expr, ExprKind, Stmt, StmtKind};
use crate::apex::visit::{self, Visit};
use crate::index::held::Held;
use crate::index::held::HeldIn;
use crate::index::symbols::MethodId;
use crate::index::typing::{MethodScope, from_object, has_for_update};
use crate::index::{Program, Project};

declare_rule! {
    /// ## What it does
    /// Flags a method that queries SObject `T` and then, depending on the result, inserts a
    /// `T` — inside an `if` whose condition reads the query's result, after an early return
    /// on it, or by inserting a list filled under such an `if` — with no `FOR UPDATE` query
    /// (or call to a method that runs one) earlier in the method.
    ///
    /// ## Why it matters
    /// "Check, then insert" is a race. Two transactions (two Queueables, two trigger
    /// invocations from parallel loads) both query, both see nothing, and both insert: a
    /// duplicate summary, a second invoice, a doubled rollup. Locking the parent record with
    /// `SELECT … FOR UPDATE` first makes the second transaction wait and then see the first
    /// one's insert; an `upsert` on a unique external-ID field lets the database enforce it.
    /// Querying one type and inserting another does not fire.
    ///
    /// A check keyed only on records the transaction already holds locked is serialized by
    /// that lock and does not fire: a query whose filter binds only the trigger's own records
    /// (`Trigger.new`, `Trigger.newMap`, `Trigger.old`, collections filled from them, the
    /// parameters of trigger-framework handlers that receive them) or their locked parents
    /// (master-detail, `Restrict` or required lookup values read from those records).
    ///
    /// ## Example
    /// ```apex
    /// public with sharing class SummaryService {
    ///     public static void ensureSummary(Id accountId) {
    ///         List<Account_Summary__c> existing = [
    ///             SELECT Id FROM Account_Summary__c WHERE Account__c = :accountId
    ///         ];
    ///         if (existing.isEmpty()) {
    ///             insert new Account_Summary__c(Account__c = accountId);
    ///         }
    ///     }
    /// }
    /// ```
    ///
    /// ## Fix
    /// ```apex
    /// public with sharing class SummaryService {
    ///     public static void ensureSummary(Id accountId) {
    ///         // Serialize on the parent: a second caller waits here, then sees the insert.
    ///         Account parent = [SELECT Id FROM Account WHERE Id = :accountId FOR UPDATE];
    ///         List<Account_Summary__c> existing = [
    ///             SELECT Id FROM Account_Summary__c WHERE Account__c = :accountId
    ///         ];
    ///         if (existing.isEmpty()) {
    ///             insert new Account_Summary__c(Account__c = accountId);
    ///         }
    ///     }
    /// }
    /// ```
    /// Or `upsert new Account_Summary__c(Key__c = accountId, …) Account_Summary__c.Key__c;`
    /// on a unique external ID (`lockgen new upsert` generates the helper and the field).
    ///
    /// ## References
    /// - [Apex Developer Guide: Locking Statements](https://developer.salesforce.com/docs/atlas.en-us.apexcode.meta/apexcode/langCon_apex_locking_statements.htm)
    /// - [Apex Developer Guide: Upserting Records](https://developer.salesforce.com/docs/atlas.en-us.apexcode.meta/apexcode/langCon_apex_dml_examples_upsert.htm)
    pub ReadThenInsert {
        code: "LCK004",
        name: "read-then-insert-without-lock",
        default_severity: Warning,
        since: "0.1.0",
    }
}

fn message(method: &str, object: &str) -> String {
    format!(
        "`{method}` inserts `{object}` after checking for it without a lock: concurrent runs can both insert"
    )
}

impl Rule for ReadThenInsert {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, project: &Project, findings: &mut Vec<Finding>) {
        let program = &project.program;
        let held = Held::new(project);
        project.for_each_typed_body(
            // Cheap filter: the method must query some T and insert a T.
            |_, facts| inserts_a_queried_object(program, facts),
            |id, body, scope| {
                let facts = &program.facts[id.index()];
                // The first lock in the method: a FOR UPDATE query, or a call that runs one.
                let first_lock = facts
                    .queries
                    .iter()
                    .filter(|q| q.for_update)
                    .map(|q| q.span.start)
                    .chain(
                        facts
                            .calls
                            .iter()
                            .filter(|c| c.methods().any(|t| program.locks_transitively[t.index()]))
                            .map(|c| c.span.start),
                    )
                    .min();
                let held_here = held.in_method(id, scope, body);
                let mut taint = Taint::new(scope, program, &held_here);
                taint.compute(body);
                let mut walker = DependentInserts {
                    scope,
                    taint: &taint,
                    guards: Vec::new(),
                    filled: HashMap::new(),
                    found: Vec::new(),
                };
                walker.block(body);
                let method = program.symbols.display(id);
                let file = program.symbols.method(id).file;
                for (span, object) in walker.found {
                    // Locked before the insert: the second transaction waits and sees the first.
                    if first_lock.is_some_and(|lock| lock < span.start) {
                        continue;
                    }
                    let mut finding = Finding::new(&Self::META, file, span, message(&method, &object))
                        .with_object(object.clone())
                        .with_help("lock the parent with `SELECT … FOR UPDATE` before the check, or upsert on a unique external ID");
                    if let Some(query) = facts
                        .queries
                        .iter()
                        .filter(|q| q.object.as_ref().is_some_and(|o| o.eq_ignore_ascii_case(&object)))
                        .min_by_key(|q| q.span.start)
                    {
                        finding = finding.with_related(
                            file,
                            query.span,
                            format!("the check: a query of `{object}` that takes no lock"),
                        );
                    }
                    findings.push(finding);
                }
            },
        );
    }
}

/// Does one of these methods (a selector) run a query of `object`?
fn selector_queries(program: &Program, targets: &[MethodId], object: &str) -> bool {
    targets.iter().any(|t| {
        program.facts[t.index()].queries.iter().any(|q| {
            !q.for_update
                && q.object
                    .as_deref()
                    .is_some_and(|o| o.eq_ignore_ascii_case(object))
        })
    })
}

/// Does the body query some SObject (itself, or through a selector it calls) and insert one
/// of the same type?
fn inserts_a_queried_object(program: &Program, facts: &crate::index::facts::Facts) -> bool {
    let mut queried: BTreeSet<String> = facts
        .queries
        .iter()
        .filter_map(|q| q.object.as_ref().map(|o| o.to_ascii_lowercase()))
        .collect();
    for call in &facts.calls {
        for target in call.methods() {
            queried.extend(
                program.facts[target.index()]
                    .queries
                    .iter()
                    .filter_map(|q| q.object.as_ref().map(|o| o.to_ascii_lowercase())),
            );
        }
    }
    facts.writes.iter().any(|w| {
        w.kind == DmlKind::Insert
            && w.object
                .as_ref()
                .is_some_and(|o| queried.contains(&o.to_ascii_lowercase()))
    })
}

/// Which locals hold (or were computed from) query results, and of which objects. A query
/// keyed only on records the transaction holds locked is not a racing check.
struct Taint<'s, 'p> {
    scope: &'s MethodScope<'p>,
    program: &'s Program,
    held: &'s HeldIn<'s>,
    /// Lower-cased local name → the queried objects its value came from, and where.
    vars: HashMap<String, Vec<Tainted>>,
    /// Locals that are inserted: testing them (`if (!toInsert.isEmpty())`) is not a check.
    inserted: HashSet<String>,
}

/// A queried object that reached a local at a place: it counts for uses after that place, or
/// anywhere in a loop around it (the next iteration sees it).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Tainted {
    object: String,
    at: u32,
    looped: Option<Span>,
}

impl Tainted {
    fn reaches(&self, use_at: u32) -> bool {
        self.at < use_at
            || self
                .looped
                .is_some_and(|l| l.start <= use_at && use_at < l.end)
    }
}

/// Assignments `target ← source`, gathered once, then run to a fixpoint.
struct Flow<'a> {
    target: String,
    source: &'a Expr,
    at: u32,
    looped: Option<Span>,
}

impl<'s, 'p> Taint<'s, 'p> {
    fn new(scope: &'s MethodScope<'p>, program: &'s Program, held: &'s HeldIn<'s>) -> Self {
        Taint {
            scope,
            program,
            held,
            vars: HashMap::new(),
            inserted: HashSet::new(),
        }
    }

    fn compute(&mut self, body: &[Stmt]) {
        let mut flows = FlowCollector {
            flows: Vec::new(),
            loops: Vec::new(),
            inserted: HashSet::new(),
        };
        flows.visit_block(body);
        self.inserted = std::mem::take(&mut flows.inserted);
        // Each round can only add facts; the number of (variable, object, place) triples
        // bounds it.
        for _ in 0..16 {
            let mut changed = false;
            for flow in &flows.flows {
                let objects = self.objects_in(flow.source);
                if objects.is_empty() {
                    continue;
                }
                let entry = self.vars.entry(flow.target.clone()).or_default();
                for object in objects {
                    let fact = Tainted {
                        object,
                        at: flow.at,
                        looped: flow.looped,
                    };
                    if !entry.contains(&fact) {
                        entry.push(fact);
                        changed = true;
                    }
                }
            }
            if !changed {
                break;
            }
        }
    }

    /// The queried objects an expression's value depends on, at the place it is used.
    fn objects_in(&self, expr: &Expr) -> BTreeSet<String> {
        self.objects_where(expr, false)
    }

    /// The queried objects a condition checks: the lists about to be inserted do not count.
    fn objects_checked(&self, condition: &Expr) -> BTreeSet<String> {
        self.objects_where(condition, true)
    }

    fn objects_where(&self, expr: &Expr, skip_inserted: bool) -> BTreeSet<String> {
        let mut finder = QueriedObjects {
            taint: self,
            objects: BTreeSet::new(),
            skip_inserted,
        };
        finder.visit_expr(expr);
        finder.objects
    }
}

struct QueriedObjects<'t, 's, 'p> {
    taint: &'t Taint<'s, 'p>,
    objects: BTreeSet<String>,
    skip_inserted: bool,
}

impl<'a> Visit<'a> for QueriedObjects<'_, '_, '_> {
    fn visit_expr(&mut self, expr: &'a Expr) {
        match &expr.kind {
            ExprKind::Soql(soql) => {
                // Keyed on the trigger's own (locked) records: serialized by that lock.
                if !self.taint.held.query_keyed_on_held(&soql.binds)
                    && let Some(object) = self.taint.scope.soql_object(soql).written_sobject()
                {
                    self.objects.insert(object.to_ascii_lowercase());
                }
            }
            ExprKind::DynamicQuery(query) => {
                if let Some(text) = self.taint.scope.string_value(query)
                    && !has_for_update(&text)
                    && let Some(object) = from_object(&text)
                {
                    self.objects.insert(object.to_ascii_lowercase());
                }
            }
            ExprKind::Call(call)
                if call.name.is("countQuery")
                    && call
                        .receiver
                        .as_ref()
                        .and_then(Expr::platform_class)
                        .is_some_and(|c| c.is("Database")) =>
            {
                if let Some(text) = call
                    .args
                    .first()
                    .and_then(|a| self.taint.scope.string_value(a))
                    && let Some(object) = from_object(&text)
                {
                    self.objects.insert(object.to_ascii_lowercase());
                }
            }
            // A selector: a call that returns the `T` records it queries.
            ExprKind::Call(call) => {
                let keyed_on_held =
                    !call.args.is_empty() && call.args.iter().all(|a| self.taint.held.is_held(a));
                if !keyed_on_held
                    && let Some(object) = self.taint.scope.type_of(expr).written_sobject()
                    && selector_queries(
                        self.taint.program,
                        &self.taint.scope.resolve_call(call, expr.span.start),
                        object,
                    )
                {
                    self.objects.insert(object.to_ascii_lowercase());
                }
            }
            ExprKind::Name(name) => {
                let key = name.key();
                if self.skip_inserted && self.taint.inserted.contains(&key) {
                    return;
                }
                if let Some(facts) = self.taint.vars.get(&key) {
                    self.objects.extend(
                        facts
                            .iter()
                            .filter(|f| f.reaches(expr.span.start))
                            .map(|f| f.object.clone()),
                    );
                }
            }
            _ => {}
        }
        visit::walk_expr(self, expr);
    }
}

struct FlowCollector<'a> {
    flows: Vec<Flow<'a>>,
    /// The loops around the current statement, innermost last.
    loops: Vec<Span>,
    /// Locals inserted with DML.
    inserted: HashSet<String>,
}

impl<'a> FlowCollector<'a> {
    fn flow(&mut self, target: String, source: &'a Expr, at: u32) {
        self.flows.push(Flow {
            target,
            source,
            at,
            looped: self.loops.last().copied(),
        });
    }
}

impl<'a> Visit<'a> for FlowCollector<'a> {
    fn visit_stmt(&mut self, stmt: &'a Stmt) {
        match &stmt.kind {
            StmtKind::Local { vars, .. } => {
                for (name, init) in vars {
                    if let Some(init) = init {
                        self.flow(name.key(), init, stmt.span.start);
                    }
                }
            }
            StmtKind::Loop(l) => {
                if let Some(each) = &l.each {
                    self.loops.push(stmt.span);
                    self.flow(each.name.key(), &each.iterable, stmt.span.start);
                    self.loops.pop();
                }
                self.loops.push(stmt.span);
                visit::walk_stmt(self, stmt);
                self.loops.pop();
                return;
            }
            _ => {}
        }
        visit::walk_stmt(self, stmt);
    }

    fn visit_expr(&mut self, expr: &'a Expr) {
        match &expr.kind {
            ExprKind::Assign { target, value } => {
                if let Some(name) = root_name(target) {
                    self.flow(name, value, expr.span.start);
                }
            }
            // `seen.add(x)`, `byKey.put(k, v)`, `ids.addAll(xs)`: the collection takes on x.
            ExprKind::Call(call) if is_collection_mutator(&call.name.text) => {
                if let Some(receiver) = call.receiver.as_ref().and_then(root_name) {
                    for arg in &call.args {
                        self.flow(receiver.clone(), arg, expr.span.start);
                    }
                }
            }
            ExprKind::Dml(dml) if dml.kind == DmlKind::Insert => {
                if let Some(name) = root_name(&dml.target) {
                    self.inserted.insert(name);
                }
            }
            _ => {}
        }
        visit::walk_expr(self, expr);
    }
}

fn is_collection_mutator(name: &str) -> bool {
    ["add", "addall", "put", "putall"]
        .iter()
        .any(|m| name.eq_ignore_ascii_case(m))
}

/// `x` for `x`, `x.y`, `x[0]`: the local a write lands in.
fn root_name(expr: &Expr) -> Option<String> {
    match &expr.kind {
        ExprKind::Name(name) => Some(name.key()),
        ExprKind::Field { object, .. } | ExprKind::Index { target: object, .. } => {
            root_name(object)
        }
        _ => None,
    }
}

/// Walk statements in order, tracking which queried objects the current code depends on
/// (enclosing `if` conditions and earlier early exits), and which lists were filled under
/// such a condition.
struct DependentInserts<'t, 's, 'p> {
    scope: &'s MethodScope<'p>,
    taint: &'t Taint<'s, 'p>,
    /// Objects that enclosing conditions (or earlier early exits) depend on.
    guards: Vec<BTreeSet<String>>,
    /// List local → objects whose check decided what was added to it.
    filled: HashMap<String, BTreeSet<String>>,
    found: Vec<(Span, String)>,
}

impl DependentInserts<'_, '_, '_> {
    fn guarded(&self, object: &str) -> bool {
        let key = object.to_ascii_lowercase();
        self.guards.iter().any(|g| g.contains(&key))
    }

    fn block(&mut self, stmts: &[Stmt]) {
        let depth = self.guards.len();
        for stmt in stmts {
            self.stmt(stmt);
            // `if (found) return;` guards everything after it in this block.
            if let StmtKind::If {
                condition,
                then,
                otherwise: None,
            } = &stmt.kind
                && then.always_leaves_block()
            {
                let objects = self.taint.objects_checked(condition);
                if !objects.is_empty() {
                    self.guards.push(objects);
                }
            }
        }
        self.guards.truncate(depth);
    }

    fn stmt(&mut self, stmt: &Stmt) {
        match &stmt.kind {
            StmtKind::If {
                condition,
                then,
                otherwise,
            } => {
                self.exprs(condition);
                let objects = self.taint.objects_checked(condition);
                let pushed = !objects.is_empty();
                if pushed {
                    self.guards.push(objects);
                }
                self.stmt(then);
                if let Some(otherwise) = otherwise {
                    self.stmt(otherwise);
                }
                if pushed {
                    self.guards.pop();
                }
            }
            StmtKind::Block(block) => self.block(block),
            StmtKind::Loop(l) => {
                for init in &l.init {
                    self.stmt(init);
                }
                if let Some(each) = &l.each {
                    self.exprs(&each.iterable);
                }
                self.stmt(&l.body);
            }
            StmtKind::Try(t) => {
                self.block(&t.body);
                for catch in &t.catches {
                    self.block(&catch.body);
                }
                if let Some(finally) = &t.finally {
                    self.block(finally);
                }
            }
            StmtKind::Switch { subject, arms } => {
                self.exprs(subject);
                let objects = self.taint.objects_checked(subject);
                let pushed = !objects.is_empty();
                if pushed {
                    self.guards.push(objects);
                }
                for arm in arms {
                    self.block(&arm.body);
                }
                if pushed {
                    self.guards.pop();
                }
            }
            StmtKind::RunAs { body, .. } => self.block(body),
            StmtKind::Local { vars, .. } => {
                for (_, init) in vars {
                    if let Some(init) = init {
                        self.exprs(init);
                    }
                }
            }
            StmtKind::Expr(expr) | StmtKind::Throw(expr) => self.exprs(expr),
            StmtKind::Return(Some(expr)) => self.exprs(expr),
            StmtKind::Return(None) | StmtKind::Break | StmtKind::Continue | StmtKind::Empty => {}
        }
    }

    /// Inserts and list fills inside one statement's expressions.
    fn exprs(&mut self, expr: &Expr) {
        let mut events = ExprEvents { events: Vec::new() };
        events.visit_expr(expr);
        for event in events.events {
            match event {
                Event::Insert(dml, span) => self.insert(dml, span),
                Event::Fill { list, value } => {
                    let Some(object) = self
                        .scope
                        .type_of(value)
                        .written_sobject()
                        .map(str::to_ascii_lowercase)
                    else {
                        continue;
                    };
                    if self.guarded(&object) {
                        self.filled.entry(list).or_default().insert(object);
                    }
                }
            }
        }
    }

    fn insert(&mut self, dml: &Dml, span: Span) {
        let Some(object) = self
            .scope
            .type_of(&dml.target)
            .written_sobject()
            .map(str::to_string)
        else {
            return;
        };
        let key = object.to_ascii_lowercase();
        let filled_under_check = root_name(&dml.target)
            .and_then(|list| self.filled.get(&list))
            .is_some_and(|objects| objects.contains(&key));
        if self.guarded(&object) || filled_under_check {
            self.found.push((span, object));
        }
    }
}

enum Event<'a> {
    Insert(&'a Dml, Span),
    Fill { list: String, value: &'a Expr },
}

struct ExprEvents<'a> {
    events: Vec<Event<'a>>,
}

impl<'a> Visit<'a> for ExprEvents<'a> {
    fn visit_expr(&mut self, expr: &'a Expr) {
        match &expr.kind {
            ExprKind::Dml(dml) if dml.kind == DmlKind::Insert => {
                self.events.push(Event::Insert(dml, expr.span));
            }
            ExprKind::Call(call) if is_collection_mutator(&call.name.text) => {
                if let Some(list) = call.receiver.as_ref().and_then(root_name)
                    && let Some(value) = call.args.last()
                {
                    self.events.push(Event::Fill { list, value });
                }
            }
            _ => {}
        }
        visit::walk_expr(self, expr);
    }
}
