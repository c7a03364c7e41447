use super::{Finding, Rule, RuleMeta, declare_rule};
use crate::index::Project;
use crate::index::program::EntryPoint;

declare_rule! {
    /// ## What it does
    /// Flags a Queueable whose `execute` performs DML, directly or through the methods it
    /// calls, and never calls `System.attachFinalizer`.
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
        "`{job}` writes records ({write}) but never attaches a Finalizer: a lock error loses the job"
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
            let Some((write, attaches)) = first_write_and_finalizer(project, &entry) else {
                // Writes nothing: a lock error cannot lose anything.
                continue;
            };
            if attaches {
                continue;
            }
            findings.push(
                Finding::new(&Self::META, entry.file, entry.span, message(&entry.label, &write))
                    .with_help("attach a Finalizer first thing in `execute` (`System.attachFinalizer(…)`) that re-enqueues the job on `UNABLE_TO_LOCK_ROW`, a bounded number of times (`lockgen new queueable` generates it)"),
            );
        }
    }
}

/// The first write the job's `execute` reaches (as `insert Invoice__c in InvoiceWriter.createFor`),
/// and whether anything it reaches attaches a Finalizer.
fn first_write_and_finalizer(project: &Project, entry: &EntryPoint) -> Option<(String, bool)> {
    let program = &project.program;
    let mut first_write: Option<String> = None;
    let mut attaches = false;
    for method in &entry.methods {
        if !program.symbols.method(*method).is("execute") {
            continue;
        }
        let reach = program.reach(*method, false);
        for step in &reach.steps {
            let facts = &program.facts[step.method.index()];
            attaches |= !facts.finalizer_attached.is_empty();
            if first_write.is_none()
                && let Some(write) = facts.writes.first()
            {
                let object = write.object.as_deref().unwrap_or("records");
                first_write = Some(format!(
                    "`{} {object}` in {}",
                    write.kind.keyword(),
                    program.symbols.display(step.method)
                ));
            }
        }
    }
    first_write.map(|w| (w, attaches))
}
