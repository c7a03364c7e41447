//! Direct facts of one body of code: the DML it performs (kind and SObject), the queries it
//! runs, the project methods it calls, and the async work it starts or guards.

use crate::apex::Span;
use crate::apex::model::*;
use crate::apex::visit::{self, Visit};

use super::symbols::MethodId;
use super::types::Ty;
use super::typing::{MethodScope, from_object, has_for_update};

#[derive(Debug, Clone)]
pub struct Write {
    pub kind: DmlKind,
    /// The SObject written, when the target's type is known.
    pub object: Option<String>,
    pub span: Span,
    /// An upsert on an external-ID field (`upsert xs Obj.Key__c`).
    pub external_id: bool,
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
    pub targets: Vec<MethodId>,
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
}

impl Facts {
    pub fn has_lock_query(&self) -> bool {
        self.queries.iter().any(|q| q.for_update)
    }
}

/// Collect the facts of a body, typed by `scope`.
pub fn collect(scope: &MethodScope<'_>, body: &[Stmt]) -> Facts {
    let mut collector = Collector {
        scope,
        facts: Facts::default(),
    };
    collector.visit_block(body);
    collector.facts
}

struct Collector<'s, 'p> {
    scope: &'s MethodScope<'p>,
    facts: Facts,
}

impl<'a> Visit<'a> for Collector<'_, '_> {
    fn visit_expr(&mut self, expr: &'a Expr) {
        match &expr.kind {
            ExprKind::Dml(dml) => {
                let write = dml_write(self.scope, dml, expr.span);
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
                let targets = self.scope.resolve_new(ty, args.len());
                if !targets.is_empty() {
                    self.facts.calls.push(CallSite {
                        span: expr.span,
                        targets,
                    });
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
            && let ExprKind::Name(base) = &receiver.kind
            && !self.scope.is_local(&base.text, span.start)
        {
            let method = call.name.text.to_ascii_lowercase();
            match (base.text.to_ascii_lowercase().as_str(), method.as_str()) {
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
        let targets = self.scope.resolve_call(call, span.start);
        if !targets.is_empty() {
            self.facts.calls.push(CallSite { span, targets });
        }
    }
}

/// A DML expression with its SObject resolved from the target's type.
pub fn dml_write(scope: &MethodScope<'_>, dml: &Dml, span: Span) -> Write {
    let object = scope
        .type_of(&dml.target)
        .written_sobject()
        .map(str::to_string);
    Write {
        kind: dml.kind,
        object,
        span,
        external_id: dml.kind == DmlKind::Upsert && dml.upsert_key.is_some(),
    }
}
