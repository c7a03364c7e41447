use super::{Finding, Rule, RuleMeta, declare_rule};
use crate::apex::model::DmlKind;
use crate::index::Project;
use crate::index::program::{EntryPoint, Hop, Program, Reach, ReachOptions};
use crate::index::symbols::Target;

declare_rule! {
    /// ## What it does
    /// Flags a Queueable whose `execute` can end on a lock error: it reaches an all-or-none
    /// write (a DML statement, `Database.x(records)` or `Database.x(records, true)`, directly
    /// or through the methods it calls) outside any `try` whose `catch` handles `DmlException`
    /// or `Exception`, and nothing it reaches calls `System.attachFinalizer`.
    ///
    /// Partial-success writes (`Database.update(records, false)`, or `Database.DMLOptions`
    /// with `optAllOrNone = false`) report failures per row and do not fire; neither do writes
    /// of custom settings, platform events, big objects or custom metadata. A Queueable that
    /// nothing in the project creates (no `new`, no name in a string or a custom metadata
    /// record) and that is not `global` never runs as a job, or only by hand: it does not fire.
    ///
    /// ## Why it matters
    /// A Queueable that writes records competes for their locks (and their parents' locks)
    /// with every other transaction. When it loses, `UNABLE_TO_LOCK_ROW` ends the job and the
    /// work is simply gone: nothing retries a failed Queueable. A Transaction Finalizer runs
    /// after the job, sees the failure, and can re-enqueue it with an attempt count and a delay.
    ///
    /// ## Example
    /// ```apex
    /// public with sharing class InvoiceJob implements Queueable {
    ///     private final Set<Id> accountIds;
    ///     public InvoiceJob(Set<Id> accountIds) { this.accountIds = accountIds; }
    ///     public static Id start(Set<Id> accountIds) {
    ///         return System.enqueueJob(new InvoiceJob(accountIds));
    ///     }
    ///     public void execute(QueueableContext context) {
    ///         InvoiceWriter.createFor(accountIds);
    ///     }
    /// }
    /// ```
    /// ```apex InvoiceWriter.cls
    /// public with sharing class InvoiceWriter {
    ///     public static void createFor(Set<Id> accountIds) {
    ///         List<Invoice__c> invoices = new List<Invoice__c>();
    ///         for (Id accountId : accountIds) {
    ///             invoices.add(new Invoice__c(Account__c = accountId));
    ///         }
    ///         insert invoices;
    ///     }
    /// }
    /// ```
    ///
    /// ## Fix
    /// ```apex
    /// public with sharing class InvoiceJob implements Queueable {
    ///     private final Set<Id> accountIds;
    ///     public InvoiceJob(Set<Id> accountIds) { this.accountIds = accountIds; }
    ///     public static Id start(Set<Id> accountIds) {
    ///         return System.enqueueJob(new InvoiceJob(accountIds));
    ///     }
    ///     public void execute(QueueableContext context) {
    ///         System.attachFinalizer(new InvoiceJobRetry(accountIds));
    ///         InvoiceWriter.createFor(accountIds);
    ///     }
    /// }
    /// ```
    /// ```apex InvoiceWriter.cls
    /// public with sharing class InvoiceWriter {
    ///     public static void createFor(Set<Id> accountIds) {
    ///         List<Invoice__c> invoices = new List<Invoice__c>();
    ///         for (Id accountId : accountIds) {
    ///             invoices.add(new Invoice__c(Account__c = accountId));
    ///         }
    ///         insert invoices;
    ///     }
    /// }
    /// ```
    /// The Finalizer re-enqueues the job on a lock error, a bounded number of times;
    /// `lockgen new queueable` generates the whole pattern.
    ///
    /// ## References
    /// - [Apex Developer Guide: Transaction Finalizers](https://developer.salesforce.com/docs/atlas.en-us.apexcode.meta/apexcode/apex_transaction_finalizers.htm)
    /// - [Record Locking Cheat Sheet](https://developer.salesforce.com/docs/atlas.en-us.salesforce_record_locking_cheatsheet.meta/salesforce_record_locking_cheatsheet/)
    pub QueueableWithoutFinalizer {
        code: "LCK008",
        name: "queueable-without-finalizer",
        default_severity: Warning,
        since: "0.1.0",
    }
}

fn message(job: &str, write: &str) -> String {
    format!(
        "`{job}` can lose its work: {write} throws on a lock error that nothing catches, and no Finalizer retries the job"
    )
}

impl Rule for QueueableWithoutFinalizer {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, project: &Project, findings: &mut Vec<Finding>) {
        let program = &project.program;
        for entry in program.entry_points() {
            // Only Queueables: batches, schedulables and finalizers are retried differently.
            let Some(class) = entry.class else { continue };
            if !program.symbols.implements(class, "queueable") {
                continue;
            }
            // A Finalizer attached anywhere `execute` reaches can retry the job.
            if attaches_finalizer(project, &entry) {
                continue;
            }
            // Only an all-or-none write that nothing catches can end the job.
            let Some(write) = first_escaping_write(project, &entry) else {
                continue;
            };
            findings.push(
                Finding::new(&Self::META, entry.file, entry.span, message(&entry.label, &write))
                    .with_help("attach a Finalizer first thing in `execute` (`System.attachFinalizer(…)`) that re-enqueues the job on `UNABLE_TO_LOCK_ROW`, a bounded number of times (`lockgen new queueable` generates it)"),
            );
        }
    }
}

fn executes(project: &Project, entry: &EntryPoint) -> Vec<Target> {
    let program = &project.program;
    entry
        .starts(program)
        .into_iter()
        .filter(|t| program.symbols.method(t.method).is("execute"))
        .collect()
}

fn attaches_finalizer(project: &Project, entry: &EntryPoint) -> bool {
    let program = &project.program;
    executes(project, entry).into_iter().any(|start| {
        program
            .reach(start, ReachOptions::default())
            .steps
            .iter()
            .any(|step| {
                !program.facts[step.method.index()]
                    .finalizer_attached
                    .is_empty()
            })
    })
}

/// The all-or-none write that `execute` reaches outside any `try` catching DML errors (as
/// "`update Log__c` in `LogService.save`"): it throws a lock error out of the job. Of several,
/// the most telling: a change to existing rows first, then an insert, then records of an
/// unresolved type; the nearest first within each.
fn first_escaping_write(project: &Project, entry: &EntryPoint) -> Option<String> {
    let program = &project.program;
    let options = ReachOptions {
        cascade: false,
        skip_caught_calls: true,
        skip_error_handling: true,
    };
    let mut best: Option<(u8, String)> = None;
    for start in executes(project, entry) {
        let reach = program.reach(start, options);
        for (index, step) in reach.steps.iter().enumerate() {
            let facts = &program.facts[step.method.index()];
            let escaping = facts.own_writes().filter(|w| {
                w.all_or_none
                    && !w.caught
                    // In a catch body the job's work has already failed.
                    && !w.in_catch
            });
            for write in escaping {
                let object = write
                    .object
                    .clone()
                    .or_else(|| handed_over(program, &reach, index, write.kind));
                // Settings, events, big objects and metadata are not worth a retry.
                if object
                    .as_deref()
                    .is_some_and(|o| !program.is_business_object(o))
                {
                    continue;
                }
                let rank = match (&object, write.kind) {
                    (Some(_), DmlKind::Insert) => 1,
                    (Some(_), _) => 0,
                    (None, _) => 2,
                };
                if best.as_ref().is_some_and(|(known, _)| *known <= rank) {
                    continue;
                }
                let what = match &object {
                    Some(object) => format!("`{} {object}`", write.kind.keyword()),
                    None => format!("`{}` (records of an unresolved type)", write.kind.keyword()),
                };
                let where_ = program.symbols.display(step.method);
                best = Some((rank, format!("{what} in `{where_}`")));
            }
        }
    }
    best.map(|(_, description)| description)
}

/// The SObject of records a generic write received: the attributed write of the same kind at
/// the call that led to it, nearest caller first.
fn handed_over(program: &Program, reach: &Reach, index: usize, kind: DmlKind) -> Option<String> {
    let mut current = index;
    while let Some(parent) = reach.steps[current].parent {
        if let Hop::Call(span) = reach.steps[current].hop
            && let Some(write) = program.facts[reach.steps[parent].method.index()]
                .writes
                .iter()
                .find(|w| w.attributed && w.kind == kind && w.span == span)
        {
            return write.object.clone();
        }
        current = parent;
    }
    None
}
