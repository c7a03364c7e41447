use std::collections::BTreeMap;

use super::{Finding, Rule, RuleMeta, and_more, declare_rule};
use crate::apex::Span;
use crate::apex::model::{Expr, ExprKind, Stmt, StmtKind};
use crate::apex::visit::{Visit, walk_expr, walk_stmt};
use crate::index::{Project, TriggerRef};

declare_rule! {
    /// ## What it does
    /// Flags every SObject that has more than one active trigger, once per trigger involved.
    ///
    /// ## Why it matters
    /// Salesforce does not define the order in which several triggers on one object run. Each
    /// can query and update the same records and their parents, so a single save takes the same
    /// locks more than once, in an order nobody chose, and two concurrent saves can wait on each
    /// other until one fails with `UNABLE_TO_LOCK_ROW`. One trigger per object, delegating to a
    /// handler, makes the order of work (and of locks) explicit.
    ///
    /// Triggers whose `.trigger-meta.xml` says `<status>Inactive</status>` do not count, nor do
    /// triggers whose body does nothing (the work commented out, only empty branches left):
    /// they run no code and take no lock of their own.
    ///
    /// ## Example
    /// ```apex AccountTrigger.trigger
    /// trigger AccountTrigger on Account (after update) {
    ///     AccountRollups.recalculate(Trigger.new);
    /// }
    /// ```
    /// ```apex AccountOwnerSync.trigger
    /// trigger AccountOwnerSync on account (after update) {
    ///     OwnerSync.run(Trigger.new);
    /// }
    /// ```
    ///
    /// ## Fix
    /// ```apex AccountTrigger.trigger
    /// trigger AccountTrigger on Account (after update) {
    ///     new AccountTriggerHandler().run();
    /// }
    /// ```
    /// ```apex AccountTriggerHandler.cls
    /// public with sharing class AccountTriggerHandler {
    ///     public void run() {
    ///         AccountRollups.recalculate(Trigger.new);
    ///         OwnerSync.run(Trigger.new);
    ///     }
    /// }
    /// ```
    /// `lockgen new trigger Account` scaffolds this trigger and handler.
    ///
    /// ## References
    /// - [Apex Developer Guide: Triggers and Order of Execution](https://developer.salesforce.com/docs/atlas.en-us.apexcode.meta/apexcode/apex_triggers_order_of_execution.htm)
    /// - [Record Locking Cheat Sheet](https://developer.salesforce.com/docs/atlas.en-us.salesforce_record_locking_cheatsheet.meta/salesforce_record_locking_cheatsheet/)
    pub MultipleTriggersPerObject {
        code: "LCK001",
        name: "multiple-triggers-per-object",
        default_severity: Warning,
        since: "0.1.0",
    }
}

fn message(trigger: &str, object: &str, count: usize) -> String {
    format!("`{trigger}` is one of {count} active triggers on `{object}`")
}

/// Other triggers each finding names; the message gives the count, and a related "and N more"
/// the rest. Every finding names the same few, so listing more would only repeat them: with a
/// thousand triggers on one object, the output stays linear and small.
const SHOWN: usize = 3;

fn related_message(trigger: &str) -> String {
    format!("`{trigger}` is another active trigger on the same object")
}

impl Rule for MultipleTriggersPerObject {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, project: &Project, findings: &mut Vec<Finding>) {
        let mut by_object: BTreeMap<String, Vec<TriggerRef<'_>>> = BTreeMap::new();
        for trigger in project.triggers() {
            // Inactive triggers never run, and empty ones do nothing: neither can contend.
            if !trigger.active || does_nothing(&trigger) {
                continue;
            }
            by_object
                .entry(trigger.decl.object.key())
                .or_default()
                .push(trigger);
        }
        for triggers in by_object.values() {
            // One trigger per object is the goal.
            if triggers.len() < 2 {
                continue;
            }
            for trigger in triggers {
                let decl = trigger.decl;
                let mut finding = Finding::new(
                    &Self::META,
                    trigger.file,
                    header(trigger),
                    message(&decl.name.text, &decl.object.text, triggers.len()),
                )
                .with_object(decl.object.text.clone())
                .with_help(format!(
                    "merge them into one trigger on `{}` that delegates to a handler class (`lockgen new trigger {}`)",
                    decl.object.text, decl.object.text
                ));
                let mut others = triggers.iter().filter(|o| o.file != trigger.file);
                for other in others.by_ref().take(SHOWN) {
                    finding = finding.with_related(
                        other.file,
                        header(other),
                        related_message(&other.decl.name.text),
                    );
                }
                // Each trigger is its own file, so the others are all but this one.
                let rest = triggers.len().saturating_sub(1 + SHOWN);
                if let Some(next) = others.next().filter(|_| rest > 0) {
                    finding = finding.with_related(next.file, header(next), and_more(rest));
                }
                findings.push(finding);
            }
        }
    }
}

/// `trigger X on Obj`: where the finding points.
fn header(trigger: &TriggerRef<'_>) -> Span {
    Span {
        start: trigger.decl.span.start,
        end: trigger.decl.object.span.end,
    }
}

/// Whether a trigger's body runs no code: nothing but empty statements and blocks, `if`s over
/// such blocks with conditions that call nothing, and bare `return`s. A file with a parse
/// problem is taken at its word that it does something (an unreadable statement reads as
/// empty).
fn does_nothing(trigger: &TriggerRef<'_>) -> bool {
    if !trigger.parsed_cleanly {
        return false;
    }
    let mut finder = WorkFinder { found: false };
    finder.visit_block(&trigger.decl.body);
    !finder.found
}

struct WorkFinder {
    found: bool,
}

impl<'a> Visit<'a> for WorkFinder {
    fn visit_stmt(&mut self, stmt: &'a Stmt) {
        match &stmt.kind {
            StmtKind::Empty | StmtKind::Block(_) | StmtKind::If { .. } | StmtKind::Return(None) => {
                walk_stmt(self, stmt);
            }
            _ => self.found = true,
        }
    }

    fn visit_expr(&mut self, expr: &'a Expr) {
        match &expr.kind {
            ExprKind::Call(_)
            | ExprKind::New { .. }
            | ExprKind::Soql(_)
            | ExprKind::Sosl
            | ExprKind::Dml(_)
            | ExprKind::DynamicQuery(_)
            | ExprKind::Assign { .. } => self.found = true,
            _ => walk_expr(self, expr),
        }
    }
}
