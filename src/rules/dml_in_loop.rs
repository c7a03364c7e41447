use super::{Finding, Rule, RuleMeta, declare_rule};
use crate::apex::model::{Dml, Expr, ExprKind, LoopKind, Stmt, StmtKind};
use crate::apex::visit::{self, Visit};
use crate::index::typing::MethodScope;
use crate::index::{FileId, Project};

declare_rule! {
    /// ## What it does
    /// Flags a DML statement, or a `Database.insert/update/upsert/delete/undelete/merge` call,
    /// written inside the body of a loop.
    ///
    /// ## Why it matters
    /// Each DML statement locks the rows it writes and their locked parents, and holds those
    /// locks until the transaction ends. In a loop the same parents are locked again and again,
    /// the transaction runs longer while holding them, and concurrent jobs wait on it until they
    /// fail with `UNABLE_TO_LOCK_ROW` (long before the 150-statement DML limit is reached).
    /// Collect the records in the loop and write them once, after it.
    ///
    /// The rule is lexical: a method called inside a loop that itself does DML does not fire
    /// here (LCK002 and LCK008 follow calls).
    ///
    /// ## Example
    /// ```apex
    /// public with sharing class ContactCleaner {
    ///     public static void normalise(List<Contact> contacts) {
    ///         for (Contact c : contacts) {
    ///             c.Email = c.Email.toLowerCase();
    ///             update c;
    ///         }
    ///     }
    /// }
    /// ```
    ///
    /// ## Fix
    /// ```apex
    /// public with sharing class ContactCleaner {
    ///     public static void normalise(List<Contact> contacts) {
    ///         for (Contact c : contacts) {
    ///             c.Email = c.Email.toLowerCase();
    ///         }
    ///         update contacts;
    ///     }
    /// }
    /// ```
    ///
    /// ## References
    /// - [Apex Developer Guide: Bulk DML Exception Handling and best practices](https://developer.salesforce.com/docs/atlas.en-us.apexcode.meta/apexcode/apex_dml_bulk_exceptions.htm)
    /// - [Record Locking Cheat Sheet](https://developer.salesforce.com/docs/atlas.en-us.salesforce_record_locking_cheatsheet.meta/salesforce_record_locking_cheatsheet/)
    pub DmlInLoop {
        code: "LCK007",
        name: "dml-in-loop",
        default_severity: Warning,
        since: "0.1.0",
    }
}

fn message(dml: &Dml, object: Option<&str>, loop_kind: LoopKind) -> String {
    let mut what = if dml.via_database {
        format!("`Database.{}`", dml.kind.keyword())
    } else {
        format!("`{}`", dml.kind.keyword())
    };
    if let Some(object) = object {
        what.push_str(&format!(" of `{object}`"));
    }
    let in_loop = match loop_kind {
        LoopKind::While => "a `while` loop",
        LoopKind::DoWhile => "a `do … while` loop",
        LoopKind::For | LoopKind::ForEach => "a `for` loop",
    };
    format!("{what} inside {in_loop}: every iteration takes the row locks again")
}

impl Rule for DmlInLoop {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, project: &Project, findings: &mut Vec<Finding>) {
        project.for_each_typed_body(
            // Only bodies with DML in them.
            |_, facts| !facts.writes.is_empty(),
            |id, body, scope| {
                let mut finder = DmlInLoopFinder {
                    scope,
                    file: project.program.symbols.method(id).file,
                    innermost_loop: None,
                    findings,
                };
                finder.visit_block(body);
            },
        );
    }
}

struct DmlInLoopFinder<'s, 'p, 'f> {
    scope: &'s MethodScope<'p>,
    file: FileId,
    innermost_loop: Option<LoopKind>,
    findings: &'f mut Vec<Finding>,
}

impl<'a> Visit<'a> for DmlInLoopFinder<'_, '_, '_> {
    fn visit_stmt(&mut self, stmt: &'a Stmt) {
        let StmtKind::Loop(l) = &stmt.kind else {
            return visit::walk_stmt(self, stmt);
        };
        // The header (init, condition, update, iterable) runs per iteration too, but DML
        // cannot appear there; only the body counts.
        for init in &l.init {
            self.visit_stmt(init);
        }
        let outer = self.innermost_loop.replace(l.kind);
        self.visit_stmt(&l.body);
        self.innermost_loop = outer;
    }

    fn visit_expr(&mut self, expr: &'a Expr) {
        if let ExprKind::Dml(dml) = &expr.kind
            && let Some(loop_kind) = self.innermost_loop
        {
            let object = self
                .scope
                .type_of(&dml.target)
                .written_sobject()
                .map(str::to_string);
            let mut finding = Finding::new(
                &DmlInLoop::META,
                self.file,
                expr.span,
                message(dml, object.as_deref(), loop_kind),
            )
            .with_help(
                "collect the records in a list inside the loop and write them once after it",
            );
            if let Some(object) = object {
                finding = finding.with_object(object);
            }
            self.findings.push(finding);
        }
        visit::walk_expr(self, expr);
    }
}
