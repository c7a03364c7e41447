use super::{Finding, Rule, RuleMeta, declare_rule};
use crate::apex::model::{Expr, ExprKind, Loop, LoopKind, Stmt, StmtKind};
use crate::apex::visit::{self, Visit};
use crate::index::typing::{MethodScope, has_for_update};
use crate::index::{FileId, Project};

declare_rule! {
    /// ## What it does
    /// Flags a `while` or `do … while` loop that retries a `FOR UPDATE` query or DML inside a
    /// `try`/`catch` with no attempt bound in its condition (`while (!done)`, `while (true)`).
    ///
    /// ## Why it matters
    /// A lock that does not come free in 10 seconds will not come free on the next try either:
    /// the other transaction is still running. An unbounded retry loop spins, each attempt
    /// waiting its 10 seconds, until the transaction hits its CPU or time limit and fails with
    /// an error that hides the real cause, holding every lock it already took the whole time.
    /// Bound the attempts in the loop condition, or better, give up quickly and retry later
    /// from a Transaction Finalizer.
    ///
    /// ## Example
    /// ```apex
    /// public with sharing class BalancePoster {
    ///     public static void post(Id accountId, Decimal amount) {
    ///         Boolean done = false;
    ///         while (!done) {
    ///             try {
    ///                 Account acc = [SELECT Id, Balance__c FROM Account WHERE Id = :accountId FOR UPDATE];
    ///                 acc.Balance__c += amount;
    ///                 update acc;
    ///                 done = true;
    ///             } catch (QueryException e) {
    ///                 System.debug('busy, retrying');
    ///             }
    ///         }
    ///     }
    /// }
    /// ```
    ///
    /// ## Fix
    /// ```apex
    /// public with sharing class BalancePoster {
    ///     private static final Integer MAX_ATTEMPTS = 3;
    ///     public static void post(Id accountId, Decimal amount) {
    ///         Boolean done = false;
    ///         Integer attempts = 0;
    ///         while (!done && attempts < MAX_ATTEMPTS) {
    ///             attempts++;
    ///             try {
    ///                 Account acc = [SELECT Id, Balance__c FROM Account WHERE Id = :accountId FOR UPDATE];
    ///                 acc.Balance__c += amount;
    ///                 update acc;
    ///                 done = true;
    ///             } catch (QueryException e) {
    ///                 System.debug('busy, attempt ' + attempts);
    ///             }
    ///         }
    ///     }
    /// }
    /// ```
    ///
    /// ## References
    /// - [Apex Developer Guide: Transaction Finalizers](https://developer.salesforce.com/docs/atlas.en-us.apexcode.meta/apexcode/apex_transaction_finalizers.htm)
    /// - [Apex Developer Guide: Locking Statements](https://developer.salesforce.com/docs/atlas.en-us.apexcode.meta/apexcode/langCon_apex_locking_statements.htm)
    pub UnboundedLockRetry {
        code: "LCK006",
        name: "unbounded-lock-retry",
        default_severity: Error,
        since: "0.1.0",
    }
}

fn message(kind: LoopKind, operation: &str) -> String {
    let keyword = match kind {
        LoopKind::DoWhile => "`do … while` loop",
        _ => "`while` loop",
    };
    format!(
        "{keyword} retries {operation} with no attempt limit in its condition: a held lock makes it spin until a governor limit"
    )
}

impl Rule for UnboundedLockRetry {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, project: &Project, findings: &mut Vec<Finding>) {
        let program = &project.program;
        project.for_each_typed_body(
            // Only bodies that lock or write, directly or through calls.
            |id, _| {
                program.locks_transitively[id.index()] || program.writes_transitively[id.index()]
            },
            |id, body, scope| {
                let mut finder = RetryLoops {
                    project,
                    scope,
                    file: program.symbols.method(id).file,
                    findings,
                };
                finder.visit_block(body);
            },
        );
    }
}

struct RetryLoops<'s, 'p, 'f> {
    project: &'p Project,
    scope: &'s MethodScope<'p>,
    file: FileId,
    findings: &'f mut Vec<Finding>,
}

impl<'a> Visit<'a> for RetryLoops<'_, '_, '_> {
    fn visit_stmt(&mut self, stmt: &'a Stmt) {
        if let StmtKind::Loop(l) = &stmt.kind
            && matches!(l.kind, LoopKind::While | LoopKind::DoWhile)
            && let Some(condition) = &l.condition
            && !has_attempt_bound(condition)
            && is_retry_condition(condition, l)
            && let Some(operation) = self.retried_operation(&l.body)
        {
            self.findings.push(
                Finding::new(&UnboundedLockRetry::META, self.file, l.keyword, message(l.kind, &operation))
                    .with_help("bound the attempts in the condition (`while (!done && attempts < MAX_ATTEMPTS)`), or give up and retry later from a Transaction Finalizer"),
            );
        }
        visit::walk_stmt(self, stmt);
    }
}

impl RetryLoops<'_, '_, '_> {
    /// A locking query or DML (directly or through a call) inside a `try` that has a `catch`.
    fn retried_operation(&self, body: &Stmt) -> Option<String> {
        let mut finder = TryOperations {
            outer: self,
            found: None,
        };
        finder.visit_stmt(body);
        finder.found
    }
}

struct TryOperations<'r, 's, 'p, 'f> {
    outer: &'r RetryLoops<'s, 'p, 'f>,
    found: Option<String>,
}

impl<'a> Visit<'a> for TryOperations<'_, '_, '_, '_> {
    fn visit_stmt(&mut self, stmt: &'a Stmt) {
        if self.found.is_some() {
            return;
        }
        if let StmtKind::Try(t) = &stmt.kind
            && !t.catches.is_empty()
        {
            let mut operations = LockingOperations {
                scope: self.outer.scope,
                project: self.outer.project,
                found: None,
            };
            operations.visit_block(&t.body);
            if operations.found.is_some() {
                self.found = operations.found;
                return;
            }
        }
        visit::walk_stmt(self, stmt);
    }
}

struct LockingOperations<'s, 'p> {
    scope: &'s MethodScope<'p>,
    project: &'p Project,
    found: Option<String>,
}

impl<'a> Visit<'a> for LockingOperations<'_, '_> {
    fn visit_expr(&mut self, expr: &'a Expr) {
        if self.found.is_some() {
            return;
        }
        let program = &self.project.program;
        self.found = match &expr.kind {
            ExprKind::Soql(soql) if soql.for_update => Some("a `FOR UPDATE` query".to_string()),
            ExprKind::DynamicQuery(query)
                if self
                    .scope
                    .string_value(query)
                    .is_some_and(|t| has_for_update(&t)) =>
            {
                Some("a `FOR UPDATE` query".to_string())
            }
            ExprKind::Dml(dml) => Some(format!("`{}`", dml.kind.keyword())),
            ExprKind::Call(call) => self
                .scope
                .resolve_call(call, expr.span.start)
                .into_iter()
                .find(|m| {
                    program.locks_transitively[m.index()] || program.writes_transitively[m.index()]
                })
                .map(|m| {
                    format!(
                        "`{}` (which locks or writes records)",
                        program.symbols.display(m)
                    )
                }),
            _ => None,
        };
        visit::walk_expr(self, expr);
    }
}

/// `attempts < MAX`, `retries-- > 0`, `tries != 3`: a comparison that can end the loop.
fn has_attempt_bound(condition: &Expr) -> bool {
    match &condition.kind {
        ExprKind::Binary { op, left, right } => match op.as_str() {
            "<" | "<=" | ">" | ">=" => true,
            "==" | "!=" | "<>" => is_count_limit(left) || is_count_limit(right),
            _ => has_attempt_bound(left) || has_attempt_bound(right),
        },
        ExprKind::Unary { operand, .. } => has_attempt_bound(operand),
        _ => false,
    }
}

/// An integer literal or a constant-looking name (`MAX_ATTEMPTS`).
fn is_count_limit(expr: &Expr) -> bool {
    match &expr.kind {
        ExprKind::Literal(_) => true,
        ExprKind::Name(name) => {
            name.text.chars().any(|c| c.is_ascii_alphabetic())
                && name
                    .text
                    .chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
        }
        _ => false,
    }
}

/// Is this loop retrying rather than walking a collection? `while (true)`, or a condition on a
/// flag that the loop body assigns (`done = true` after success, `retry = true` in the catch).
fn is_retry_condition(condition: &Expr, l: &Loop) -> bool {
    let mut flags = Vec::new();
    condition_flags(condition, &mut flags);
    if flags.is_empty() {
        return matches!(condition.kind, ExprKind::Literal(_));
    }
    let mut assigned = AssignedNames { names: Vec::new() };
    assigned.visit_stmt(&l.body);
    flags
        .iter()
        .any(|flag| assigned.names.iter().any(|n| n.eq_ignore_ascii_case(flag)))
}

/// Names read as booleans in a condition: `done` in `!done`, both in `!done && !failed`.
fn condition_flags(condition: &Expr, out: &mut Vec<String>) {
    match &condition.kind {
        ExprKind::Name(name) => out.push(name.text.clone()),
        ExprKind::Field { name, object } if matches!(object.kind, ExprKind::This) => {
            out.push(name.text.clone());
        }
        ExprKind::Unary { op, operand } if op == "!" => condition_flags(operand, out),
        ExprKind::Binary { op, left, right } if op == "&&" || op == "||" => {
            condition_flags(left, out);
            condition_flags(right, out);
        }
        _ => {}
    }
}

struct AssignedNames {
    names: Vec<String>,
}

impl<'a> Visit<'a> for AssignedNames {
    fn visit_expr(&mut self, expr: &'a Expr) {
        if let ExprKind::Assign { target, .. } = &expr.kind {
            match &target.kind {
                ExprKind::Name(name) => self.names.push(name.text.clone()),
                ExprKind::Field { name, .. } => self.names.push(name.text.clone()),
                _ => {}
            }
        }
        visit::walk_expr(self, expr);
    }
}
