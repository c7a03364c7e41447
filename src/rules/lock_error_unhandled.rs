use super::{Finding, Rule, RuleMeta, declare_rule};
use crate::apex::model::{Expr, ExprKind, Stmt, StmtKind, TypeRef};
use crate::apex::visit::{self, Visit};
use crate::index::typing::{MethodScope, has_for_update};
use crate::index::{FileId, Project};

declare_rule! {
    /// ## What it does
    /// Flags a `FOR UPDATE` query — static SOQL, or a `Database.query` string that ends in
    /// `FOR UPDATE` — that is not inside a `try` whose `catch` handles `QueryException` (or
    /// `Exception`).
    ///
    /// ## Why it matters
    /// `FOR UPDATE` waits up to 10 seconds for a row another transaction holds, then throws a
    /// `QueryException`: "Record Currently Unavailable: The record you are attempting to edit,
    /// or one of its related records, is currently being modified by another user". Uncaught,
    /// it rolls back the whole transaction and shows users a raw error; caught, the code can
    /// retry later (from a Finalizer) or explain. A query inside a `catch` or `finally` block
    /// is not protected by that same `try`.
    ///
    /// ## Example
    /// ```apex
    /// public with sharing class AccountLocks {
    ///     public static List<Account> lock(Set<Id> accountIds) {
    ///         return [SELECT Id FROM Account WHERE Id IN :accountIds FOR UPDATE];
    ///     }
    /// }
    /// ```
    ///
    /// ## Fix
    /// ```apex
    /// public with sharing class AccountLocks {
    ///     public class LockException extends Exception {}
    ///     public static List<Account> lock(Set<Id> accountIds) {
    ///         try {
    ///             return [SELECT Id FROM Account WHERE Id IN :accountIds FOR UPDATE];
    ///         } catch (QueryException e) {
    ///             throw new LockException('Accounts are busy, try again: ' + e.getMessage());
    ///         }
    ///     }
    /// }
    /// ```
    /// `lockgen new lock` generates a lock service that handles both lock errors.
    ///
    /// ## References
    /// - [Apex Developer Guide: Locking Statements](https://developer.salesforce.com/docs/atlas.en-us.apexcode.meta/apexcode/langCon_apex_locking_statements.htm)
    /// - [Record Locking Cheat Sheet](https://developer.salesforce.com/docs/atlas.en-us.salesforce_record_locking_cheatsheet.meta/salesforce_record_locking_cheatsheet/)
    pub LockErrorUnhandled {
        code: "LCK005",
        name: "lock-error-unhandled",
        default_severity: Warning,
        since: "0.1.0",
    }
}

fn message(object: Option<&str>, dynamic: bool) -> String {
    let what = if dynamic {
        "dynamic `FOR UPDATE` query"
    } else {
        "`FOR UPDATE` query"
    };
    match object {
        Some(object) => format!(
            "{what} on `{object}` is not inside a try/catch for `QueryException`: a held lock makes it throw after 10 seconds"
        ),
        None => format!(
            "{what} is not inside a try/catch for `QueryException`: a held lock makes it throw after 10 seconds"
        ),
    }
}

impl Rule for LockErrorUnhandled {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, project: &Project, findings: &mut Vec<Finding>) {
        project.for_each_typed_body(
            // Only bodies that run a FOR UPDATE query themselves.
            |_, facts| facts.has_lock_query(),
            |id, body, scope| {
                let mut finder = UnprotectedLocks {
                    scope,
                    file: project.program.symbols.method(id).file,
                    protected: 0,
                    findings,
                };
                finder.visit_block(body);
            },
        );
    }
}

/// Does a catch of this type handle a `QueryException`?
pub(crate) fn catches_query_exception(ty: &TypeRef) -> bool {
    let last = ty.last_segment();
    last.eq_ignore_ascii_case("QueryException") || last.eq_ignore_ascii_case("Exception")
}

struct UnprotectedLocks<'s, 'p, 'f> {
    scope: &'s MethodScope<'p>,
    file: FileId,
    /// How many enclosing `try` bodies catch `QueryException`.
    protected: usize,
    findings: &'f mut Vec<Finding>,
}

impl<'a> Visit<'a> for UnprotectedLocks<'_, '_, '_> {
    fn visit_stmt(&mut self, stmt: &'a Stmt) {
        let StmtKind::Try(t) = &stmt.kind else {
            return visit::walk_stmt(self, stmt);
        };
        let protects = t.catches.iter().any(|c| catches_query_exception(&c.ty));
        self.protected += usize::from(protects);
        self.visit_block(&t.body);
        self.protected -= usize::from(protects);
        // Catch and finally bodies are outside this try's protection.
        for catch in &t.catches {
            self.visit_block(&catch.body);
        }
        if let Some(finally) = &t.finally {
            self.visit_block(finally);
        }
    }

    fn visit_expr(&mut self, expr: &'a Expr) {
        if self.protected == 0 {
            let found = match &expr.kind {
                ExprKind::Soql(soql) if soql.for_update => Some((
                    self.scope
                        .soql_object(soql)
                        .written_sobject()
                        .map(str::to_string),
                    false,
                )),
                ExprKind::DynamicQuery(query) => self
                    .scope
                    .string_value(query)
                    .filter(|text| has_for_update(text))
                    .map(|text| {
                        let object = crate::index::typing::from_object(&text)
                            .and_then(|o| self.scope.cx.sobjects.sobject(&o));
                        (object, true)
                    }),
                _ => None,
            };
            if let Some((object, dynamic)) = found {
                let mut finding = Finding::new(
                    &LockErrorUnhandled::META,
                    self.file,
                    expr.span,
                    message(object.as_deref(), dynamic),
                )
                .with_help("wrap it in `try { … } catch (QueryException e) { … }` and retry later (from a Finalizer) or report a clear error");
                if let Some(object) = object {
                    finding = finding.with_object(object);
                }
                self.findings.push(finding);
            }
        }
        visit::walk_expr(self, expr);
    }
}
