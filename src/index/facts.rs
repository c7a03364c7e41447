//! Direct facts of one body of code: the DML it performs (kind and SObject), the queries it
//! runs, the project methods it calls, the classes it creates, the async work it starts or
//! guards, and where its records flow (for writes made later through a container).

use crate::apex::Span;
use crate::apex::model::*;
use crate::apex::visit::{self, Visit};

use super::events::Events;
use super::symbols::{ClassId, MethodId, Target};
use super::types::Ty;
use super::typing::{MethodScope, Root, from_object, has_for_update};

#[derive(Debug, Clone)]
pub struct Write {
    pub kind: DmlKind,
    /// The SObject written, when the target's type is known.
    pub object: Option<String>,
    pub span: Span,
    /// An upsert on an external-ID field (`upsert xs Obj.Key__c`).
    pub external_id: bool,
    /// A failure throws: a DML statement, `Database.x(records)` or `Database.x(records, true)`.
    /// False for partial success (`allOrNone` false, or `DMLOptions.optAllOrNone = false`).
    pub all_or_none: bool,
    /// Inside a `try` of this body whose `catch` handles `DmlException` or `Exception`.
    pub caught: bool,
    /// Inside a `catch` body: runs only after something failed.
    pub in_catch: bool,
    /// The trigger events under which the write runs (see `CallSite::events`).
    pub events: Events,
    /// Records of a known type handed here to code that writes them later, through a
    /// parameter or a container (a unit of work, a DML wrapper): the write is attributed to
    /// this place, and the DML itself is elsewhere.
    pub attributed: bool,
}

#[derive(Debug, Clone)]
pub struct Query {
    pub object: Option<String>,
    pub for_update: bool,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct CallSite {
    pub span: Span,
    pub targets: Vec<Target>,
    /// `this.m(…)` or an unqualified instance call, with the name and argument count: which
    /// override runs depends on the receiver, which a path may know.
    pub on_this: Option<(String, usize)>,
    /// `super.m(…)`: runs on the caller's receiver.
    pub keeps_receiver: bool,
    /// A virtual or interface call, with the static class it dispatches on and the method's
    /// name and argument count: inside a trigger, the framework handlers configured for the
    /// trigger's object are receivers too.
    pub dispatch: Option<(ClassId, String, usize)>,
    /// Inside a `try` of this body whose `catch` handles `DmlException` or `Exception`.
    pub caught: bool,
    /// Inside a `catch` body: error handling, which runs only after something failed.
    pub in_catch: bool,
    /// The trigger events under which the call runs (trigger bodies test `Trigger.isInsert`,
    /// `Trigger.operationType` …); every event elsewhere.
    pub events: Events,
}

impl CallSite {
    pub fn methods(&self) -> impl Iterator<Item = MethodId> + '_ {
        self.targets.iter().map(|t| t.method)
    }
}

/// Records put into a container (`wrapper.toUpdate.addAll(accounts)`, `m.put(k, record)`,
/// `this.pending = records`).
#[derive(Debug, Clone)]
pub struct Registration {
    pub container: Root,
    /// The records' SObject, when known.
    pub object: Option<String>,
    /// Where the records come from, when that is a parameter, field or local.
    pub source: Option<Root>,
    pub span: Span,
}

/// An argument of a call, with where its records come from and their SObject.
#[derive(Debug, Clone)]
pub struct ArgumentFlow {
    /// Index into `Facts::calls`.
    pub call: usize,
    pub position: usize,
    pub source: Option<Root>,
    pub object: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct Facts {
    pub writes: Vec<Write>,
    pub queries: Vec<Query>,
    pub calls: Vec<CallSite>,
    /// `System.attachFinalizer(…)` calls.
    pub finalizer_attached: Vec<Span>,
    /// `System.enqueueJob`, `Database.executeBatch`, `System.schedule`, `System.scheduleBatch`.
    pub starts_async: Vec<Span>,
    /// Project classes created here with `new`.
    pub creates: Vec<ClassId>,
    /// Custom settings read here (`X.getOrgDefaults()` …).
    pub custom_settings: Vec<String>,
    /// DML whose records come from a parameter, field or local, and whether its SObject is
    /// known (what `deferred` follows).
    pub written_roots: Vec<(Root, DmlKind, bool)>,
    pub registrations: Vec<Registration>,
    pub arguments: Vec<ArgumentFlow>,
}

impl Facts {
    pub fn has_lock_query(&self) -> bool {
        self.queries.iter().any(|q| q.for_update)
    }

    /// The DML this body performs itself (not writes attributed to it).
    pub fn own_writes(&self) -> impl Iterator<Item = &Write> {
        self.writes.iter().filter(|w| !w.attributed)
    }
}

/// Collect the facts of a body, typed by `scope`.
pub fn collect(scope: &MethodScope<'_>, body: &[Stmt]) -> Facts {
    let mut collector = Collector {
        scope,
        facts: Facts::default(),
        caught: 0,
        in_catch: 0,
        events: Events::ALL,
        partial_options: Vec::new(),
    };
    collector.visit_block(body);
    collector.facts
}

struct Collector<'s, 'p> {
    scope: &'s MethodScope<'p>,
    facts: Facts,
    /// How many enclosing `try` blocks catch DML errors.
    caught: usize,
    /// How many enclosing `catch` bodies.
    in_catch: usize,
    /// The trigger events the current statement runs under.
    events: Events,
    /// Locals of type `Database.DMLOptions` given `optAllOrNone = false`.
    partial_options: Vec<String>,
}

impl<'a> Visit<'a> for Collector<'_, '_> {
    fn visit_block(&mut self, block: &'a [Stmt]) {
        // `if (triggerAction != Action.AfterInsert) return;`: the rest of the block runs only
        // for the events that did not leave.
        let outer = self.events;
        for stmt in block {
            self.visit_stmt(stmt);
            if let StmtKind::If {
                condition,
                then,
                otherwise: None,
            } = &stmt.kind
                && then.always_leaves_block()
            {
                let (_, when_false) = trigger_condition(condition);
                self.events = self.events.intersect(when_false);
            }
        }
        self.events = outer;
    }

    fn visit_stmt(&mut self, stmt: &'a Stmt) {
        match &stmt.kind {
            StmtKind::Try(t) => {
                let catches_dml = t.catches.iter().any(|c| catches_dml_errors(&c.ty));
                self.caught += usize::from(catches_dml);
                self.visit_block(&t.body);
                self.caught -= usize::from(catches_dml);
                self.in_catch += 1;
                for catch in &t.catches {
                    self.visit_block(&catch.body);
                }
                self.in_catch -= 1;
                if let Some(finally) = &t.finally {
                    self.visit_block(finally);
                }
            }
            StmtKind::If {
                condition,
                then,
                otherwise,
            } => {
                self.visit_expr(condition);
                let (when_true, when_false) = trigger_condition(condition);
                let outer = self.events;
                self.events = outer.intersect(when_true);
                self.visit_stmt(then);
                self.events = outer.intersect(when_false);
                if let Some(otherwise) = otherwise {
                    self.visit_stmt(otherwise);
                }
                self.events = outer;
            }
            StmtKind::Switch { subject, arms }
                if is_operation_type(subject) || names_an_action(subject) =>
            {
                self.visit_expr(subject);
                let outer = self.events;
                for arm in arms {
                    let named = arm
                        .values
                        .iter()
                        .filter_map(event_name)
                        .fold(Events::NONE, Events::union);
                    self.events = if named.is_empty() {
                        outer
                    } else {
                        outer.intersect(named)
                    };
                    self.visit_block(&arm.body);
                }
                self.events = outer;
            }
            _ => visit::walk_stmt(self, stmt),
        }
    }

    fn visit_expr(&mut self, expr: &'a Expr) {
        match &expr.kind {
            ExprKind::Dml(dml) => {
                let mut write = dml_write(self.scope, dml, expr.span);
                write.events = self.events;
                write.caught = self.caught > 0;
                write.in_catch = self.in_catch > 0;
                write.all_or_none = !self.partial_success(dml);
                if let Some(root) = self.scope.root_of(&dml.target) {
                    let typed = write.object.is_some();
                    self.facts.written_roots.push((root, dml.kind, typed));
                }
                self.facts.writes.push(write);
            }
            ExprKind::Soql(soql) => self.facts.queries.push(Query {
                object: match self.scope.soql_object(soql) {
                    Ty::SObject(name) => Some(name),
                    _ => None,
                },
                for_update: soql.for_update,
                span: expr.span,
            }),
            // `Database.getQueryLocator([SELECT …])` wraps static SOQL: that is seen below.
            ExprKind::DynamicQuery(query) if !matches!(query.kind, ExprKind::Soql(_)) => {
                let text = self.scope.string_value(query);
                self.facts.queries.push(Query {
                    object: text
                        .as_deref()
                        .and_then(from_object)
                        .and_then(|o| self.scope.cx.sobjects.sobject(&o)),
                    for_update: text.as_deref().is_some_and(has_for_update),
                    span: expr.span,
                });
            }
            ExprKind::Call(call) => self.call(call, expr.span),
            ExprKind::New { ty, args } => {
                if let Ty::Class(class) = self.scope.resolve_type(ty) {
                    self.facts.creates.push(class);
                }
                // `new Flow.Interview.Line_Totals(inputs)` runs that flow.
                if let Some(name) = strip_prefix_ci(&ty.name, "Flow.Interview.")
                    && let Some(flow) = self.scope.cx.symbols.flow(name)
                {
                    self.push_call(
                        expr.span,
                        vec![Target {
                            method: flow,
                            receiver: None,
                        }],
                        None,
                        false,
                    );
                }
                let targets = self.scope.resolve_new(ty, args.len());
                if !targets.is_empty() {
                    self.push_call(expr.span, targets, None, false);
                }
            }
            ExprKind::Assign { target, value } => {
                // `opts.optAllOrNone = false`: later DML with these options is partial success.
                if let ExprKind::Field { object, name } = &target.kind
                    && name.is("optAllOrNone")
                    && value.is_false()
                    && let ExprKind::Name(local) = &object.kind
                {
                    self.partial_options.push(local.text.clone());
                }
                if matches!(target.kind, ExprKind::Field { .. } | ExprKind::Name(_))
                    && !holds_typed_records(&self.scope.type_of(target))
                    && let Some(container @ Root::Field(..)) = self.scope.root_of(target)
                {
                    self.register(container, value, expr.span);
                }
            }
            _ => {}
        }
        visit::walk_expr(self, expr);
    }
}

impl Collector<'_, '_> {
    fn call(&mut self, call: &Call, span: Span) {
        if let Some(receiver) = &call.receiver
            && let Some(class) = receiver.platform_class()
            && !(matches!(&receiver.kind, ExprKind::Name(_))
                && self.scope.is_local(&class.text, span.start))
        {
            let method = call.name.key();
            match (class.key().as_str(), method.as_str()) {
                ("system", "attachfinalizer") => {
                    self.facts.finalizer_attached.push(span);
                    return;
                }
                ("system", "enqueuejob" | "schedule" | "schedulebatch")
                | ("database", "executebatch") => {
                    self.facts.starts_async.push(span);
                    return;
                }
                _ => {}
            }
        }
        // `Flow.Interview.createInterview('Line_Totals', inputs)`, with or without a namespace.
        if call.name.is("createInterview")
            && call
                .receiver
                .as_ref()
                .and_then(Expr::dotted_name)
                .is_some_and(|r| r.eq_ignore_ascii_case("Flow.Interview"))
        {
            let named = match call.args.as_slice() {
                [_, name, _] | [name, _] | [name] => match &name.kind {
                    ExprKind::StringLiteral(text) => self.scope.cx.symbols.flow(text),
                    _ => None,
                },
                _ => None,
            };
            if let Some(flow) = named {
                self.push_call(
                    span,
                    vec![Target {
                        method: flow,
                        receiver: None,
                    }],
                    None,
                    false,
                );
            }
            return;
        }
        if let Some(receiver) = &call.receiver {
            let method = call.name.key();
            if let Some(setting) = self.scope.custom_setting_read(receiver, &method) {
                self.facts.custom_settings.push(setting);
            }
            // Records collected into a container of any type: `toUpdate.addAll(accounts)`,
            // `m.put(k, r)`. A container of a known type names its SObject where it is written.
            if matches!(method.as_str(), "add" | "addall" | "put" | "putall")
                && let Some(value) = call.args.last()
                && !holds_typed_records(&self.scope.type_of(receiver))
                && let Some(container) = self.scope.root_of(receiver)
            {
                self.register(container, value, span);
            }
        }
        let resolved = self.scope.resolve_call_site(call, span.start);
        if resolved.targets.is_empty() && resolved.dispatched_on.is_none() {
            return;
        }
        let on_this = resolved
            .on_this
            .then(|| (call.name.text.clone(), call.args.len()));
        let dispatch = resolved
            .dispatched_on
            .map(|class| (class, call.name.text.clone(), call.args.len()));
        let index = self.push_call(span, resolved.targets, on_this, resolved.keeps_receiver);
        self.facts.calls[index].dispatch = dispatch;
        let symbols = self.scope.cx.symbols;
        for (position, arg) in call.args.iter().enumerate() {
            // Only a parameter declared for records of any type can hand them to generic DML.
            let generic = self.facts.calls[index].methods().any(|m| {
                symbols
                    .method(m)
                    .generic_records
                    .get(position)
                    .copied()
                    .unwrap_or(false)
            });
            if !generic {
                continue;
            }
            let source = self.scope.root_of(arg);
            let object = self.scope.records_object(arg);
            if source.is_some() || object.is_some() {
                self.facts.arguments.push(ArgumentFlow {
                    call: index,
                    position,
                    source,
                    object,
                });
            }
        }
    }

    fn push_call(
        &mut self,
        span: Span,
        targets: Vec<Target>,
        on_this: Option<(String, usize)>,
        keeps_receiver: bool,
    ) -> usize {
        self.facts.calls.push(CallSite {
            span,
            targets,
            on_this,
            keeps_receiver,
            dispatch: None,
            caught: self.caught > 0,
            in_catch: self.in_catch > 0,
            events: self.events,
        });
        self.facts.calls.len() - 1
    }

    fn register(&mut self, container: Root, value: &Expr, span: Span) {
        let object = self.scope.records_object(value);
        let source = self.scope.root_of(value);
        if object.is_none() && source.is_none() {
            return;
        }
        self.facts.registrations.push(Registration {
            container,
            object,
            source,
            span,
        });
    }

    /// `Database.x(records, false)`, or with `Database.DMLOptions` whose `optAllOrNone` is
    /// false: failures come back as per-row results instead of an exception.
    fn partial_success(&self, dml: &Dml) -> bool {
        dml.options.iter().any(|option| {
            option.is_false()
                || matches!(&option.kind, ExprKind::Name(name)
                    if self.partial_options.iter().any(|p| name.is(p)))
        })
    }
}

fn strip_prefix_ci<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &text[prefix.len()..])
}

/// `catch (DmlException e)` or `catch (Exception e)`: a lock error thrown by DML lands here.
fn catches_dml_errors(ty: &TypeRef) -> bool {
    let last = ty.last_segment();
    last.eq_ignore_ascii_case("DmlException") || last.eq_ignore_ascii_case("Exception")
}

/// A value of these types names its records' SObject: `List<Account>`, `Map<Id, Contact>`.
fn holds_typed_records(ty: &Ty) -> bool {
    match ty {
        Ty::SObject(_) => true,
        Ty::List(inner) | Ty::Map(_, inner) => holds_typed_records(inner),
        _ => false,
    }
}

/// The events under which each branch of an `if` runs: conditions on `Trigger.isInsert`,
/// `Trigger.isBefore`, `Trigger.operationType == …`, a trigger framework's action
/// (`triggerAction == TDTM_Runnable.Action.AfterInsert`), and their `&&`, `||` and `!`.
/// Anything else says nothing (every event, both ways).
fn trigger_condition(condition: &Expr) -> (Events, Events) {
    match &condition.kind {
        ExprKind::Binary { op, left, right } if op == "&&" => {
            let (left_true, left_false) = trigger_condition(left);
            let (right_true, right_false) = trigger_condition(right);
            (
                left_true.intersect(right_true),
                left_false.union(right_false),
            )
        }
        ExprKind::Binary { op, left, right } if op == "||" => {
            let (left_true, left_false) = trigger_condition(left);
            let (right_true, right_false) = trigger_condition(right);
            (
                left_true.union(right_true),
                left_false.intersect(right_false),
            )
        }
        ExprKind::Binary { op, left, right } if op == "==" || op == "!=" => {
            let named = if is_operation_type(left) {
                event_name(right)
            } else if is_operation_type(right) {
                event_name(left)
            } else {
                framework_action(right).or_else(|| framework_action(left))
            };
            match named {
                Some(events) if op == "==" => (events, events.complement()),
                Some(events) => (events.complement(), events),
                None => (Events::ALL, Events::ALL),
            }
        }
        ExprKind::Unary { op, operand } if op == "!" => {
            let (when_true, when_false) = trigger_condition(operand);
            (when_false, when_true)
        }
        ExprKind::Field { object, name } if is_trigger(object) => {
            let events = match name.key().as_str() {
                "isinsert" => Events::INSERT,
                "isupdate" => Events::UPDATE,
                "isdelete" => Events::DELETE,
                "isundelete" => Events::UNDELETE,
                "isbefore" => Events::BEFORE,
                "isafter" => Events::AFTER,
                _ => return (Events::ALL, Events::ALL),
            };
            (events, events.complement())
        }
        _ => (Events::ALL, Events::ALL),
    }
}

fn is_trigger(expr: &Expr) -> bool {
    matches!(expr.platform_class(), Some(name) if name.is("Trigger"))
}

/// A trigger framework's action constant: `TDTM_Runnable.Action.AfterInsert`, `Action.AfterInsert`.
fn framework_action(expr: &Expr) -> Option<Events> {
    let ExprKind::Field { object, name } = &expr.kind else {
        return None;
    };
    let action = match &object.kind {
        ExprKind::Name(owner) | ExprKind::Field { name: owner, .. } => owner.is("Action"),
        _ => false,
    };
    if action {
        Events::parse(&name.text)
    } else {
        None
    }
}

/// A value that names a trigger framework's action (`switch on triggerAction`).
fn names_an_action(expr: &Expr) -> bool {
    match &expr.kind {
        ExprKind::Name(name) | ExprKind::Field { name, .. } => name.key().ends_with("action"),
        _ => false,
    }
}

/// `Trigger.operationType`.
fn is_operation_type(expr: &Expr) -> bool {
    matches!(&expr.kind, ExprKind::Field { object, name } if name.is("operationType") && is_trigger(object))
}

/// `AFTER_UPDATE`, `TriggerOperation.AFTER_UPDATE`, `System.TriggerOperation.AFTER_UPDATE`.
fn event_name(expr: &Expr) -> Option<Events> {
    match &expr.kind {
        ExprKind::Name(name) => Events::parse(&name.text),
        ExprKind::Field { name, .. } => Events::parse(&name.text),
        _ => None,
    }
}

/// A DML expression with its SObject resolved from the target's type.
pub fn dml_write(scope: &MethodScope<'_>, dml: &Dml, span: Span) -> Write {
    let object = scope.records_object(&dml.target);
    Write {
        kind: dml.kind,
        object,
        span,
        external_id: dml.kind == DmlKind::Upsert && dml.upsert_key.is_some(),
        all_or_none: true,
        caught: false,
        in_catch: false,
        events: Events::ALL,
        attributed: false,
    }
}
