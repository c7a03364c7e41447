use std::collections::{BTreeMap, BTreeSet};

use rayon::prelude::*;

use super::{Finding, Rule, RuleMeta, declare_rule};
use crate::index::Project;
use crate::index::program::EntryPoint;

declare_rule! {
    /// ## What it does
    /// Flags async entry points — classes implementing Queueable, Database.Batchable,
    /// Schedulable or Finalizer, and `@future` methods — whose writes, followed through the
    /// methods they call and the triggers their DML runs, touch the same SObject or lock the
    /// same parent record type. One finding per entry point, naming the shared object and the
    /// path that reaches it.
    ///
    /// ## Why it matters
    /// Async jobs run when the platform schedules them, often side by side. Two jobs that write
    /// children of the same parents (Invoices and Payments under one Account) both lock that
    /// parent; whichever comes second waits up to 10 seconds and fails with
    /// `UNABLE_TO_LOCK_ROW`, and a failed Queueable or batch chunk is not retried. The more
    /// children share a parent, the likelier the collision. A job that starts another
    /// (`System.enqueueJob`, `Database.executeBatch`) does not take on its writes: the other job
    /// runs in its own transaction and is an entry point of its own.
    ///
    /// ## Example
    /// ```apex InvoiceJob.cls
    /// public with sharing class InvoiceJob implements Queueable {
    ///     public void execute(QueueableContext context) {
    ///         insert new Contact(LastName = 'Billing', AccountId = '001000000000001AAA');
    ///     }
    /// }
    /// ```
    /// ```apex CaseSync.cls
    /// public with sharing class CaseSync {
    ///     @future
    ///     public static void open(Id accountId) {
    ///         insert new Case(AccountId = accountId, Subject = 'Follow up');
    ///     }
    /// }
    /// ```
    ///
    /// ## Fix
    /// ```apex InvoiceJob.cls
    /// public with sharing class InvoiceJob implements Queueable {
    ///     public void execute(QueueableContext context) {
    ///         insert new Contact(LastName = 'Billing', AccountId = '001000000000001AAA');
    ///         insert new Case(AccountId = '001000000000001AAA', Subject = 'Follow up');
    ///     }
    /// }
    /// ```
    /// Do the work that shares a parent in one job (serialize writes per parent), or chain
    /// the jobs so they never overlap, and lock the parent first with `SELECT … FOR UPDATE`.
    ///
    /// ## References
    /// - [Record Locking Cheat Sheet](https://developer.salesforce.com/docs/atlas.en-us.salesforce_record_locking_cheatsheet.meta/salesforce_record_locking_cheatsheet/)
    /// - [Apex Developer Guide: Queueable Apex](https://developer.salesforce.com/docs/atlas.en-us.apexcode.meta/apexcode/apex_queueing_jobs.htm)
    pub AsyncJobsShareLock {
        code: "LCK002",
        name: "async-jobs-share-lock",
        default_severity: Warning,
        since: "0.1.0",
    }
}

fn message(job: &str, others: &[&str], object: &str, path: &str) -> String {
    let who = match others {
        [one] => format!("`{job}` and `{one}` both lock"),
        [one, two] => format!("`{job}`, `{one}` and `{two}` all lock"),
        [one, rest @ ..] => format!("`{job}`, `{one}` and {} other jobs all lock", rest.len()),
        [] => format!("`{job}` locks"),
    };
    format!("{who} `{object}`: {path}")
}

fn related_message(name: &str, object: &str, path: &str) -> String {
    format!("`{name}` also locks `{object}`: {path}")
}

/// Related locations listed per finding; the message counts the rest.
const MAX_RELATED: usize = 5;

/// One object an entry point locks, with the shortest path that shows how.
struct Lock {
    /// As displayed.
    object: String,
    /// Locked as the parent of a written record (the classic contention), not written itself.
    as_parent: bool,
    /// `InvoiceJob.execute → InvoiceService.post → insert Payment__c (required lookup to Account)`.
    path: String,
}

impl Rule for AsyncJobsShareLock {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, project: &Project, findings: &mut Vec<Finding>) {
        let entries = project.program.entry_points();
        // Entry point index → locked object (lower-cased) → how.
        let jobs: Vec<JobLocks> = entries.par_iter().map(|e| locks_of(project, e)).collect();
        let locks: Vec<&BTreeMap<String, Lock>> = jobs.iter().map(|j| &j.locks).collect();
        // Object → the entry points that lock it, so sharing is found without comparing every
        // pair of jobs.
        let mut holders: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
        for (index, job) in locks.iter().enumerate() {
            for key in job.keys() {
                holders.entry(key.as_str()).or_default().push(index);
            }
        }
        for (index, entry) in entries.iter().enumerate() {
            // Locks FOR UPDATE and retries from a Finalizer: the remedy is in place.
            if jobs[index].retries && !jobs[index].serialized.is_empty() {
                continue;
            }
            // The object this job shares: parent locks first (they are what collides under
            // data skew), then written objects; by name within each.
            let shared = [true, false].into_iter().find_map(|as_parent| {
                locks[index]
                    .iter()
                    .filter(|(_, lock)| lock.as_parent == as_parent)
                    // Taken FOR UPDATE first: this job waits its turn instead of colliding.
                    .filter(|(key, _)| !jobs[index].serialized.contains(*key))
                    .find_map(|(key, lock)| {
                        let others: Vec<usize> = holders[key.as_str()]
                            .iter()
                            .copied()
                            .filter(|o| *o != index)
                            .collect();
                        (!others.is_empty()).then_some((key, lock, others))
                    })
            });
            let Some((key, lock, others)) = shared else {
                continue;
            };
            let names: Vec<&str> = others.iter().map(|o| entries[*o].label.as_str()).collect();
            let mut finding = Finding::new(
                &Self::META,
                entry.file,
                entry.span,
                message(&entry.label, &names, &lock.object, &lock.path),
            )
            .with_object(lock.object.clone())
            .with_help("serialize writes per parent: do this work in one job, or chain the jobs so they never overlap, and lock the parent with `SELECT … FOR UPDATE` first");
            for other in others.into_iter().take(MAX_RELATED) {
                let theirs = &locks[other][key];
                finding = finding.with_related(
                    entries[other].file,
                    entries[other].span,
                    related_message(&entries[other].label, &theirs.object, &theirs.path),
                );
            }
            findings.push(finding);
        }
    }
}

/// What one entry point locks, and how it guards itself.
struct JobLocks {
    /// Lower-cased object → how it is locked.
    locks: BTreeMap<String, Lock>,
    /// Lower-cased objects it locks with `SELECT … FOR UPDATE`.
    serialized: BTreeSet<String>,
    /// It attaches a Finalizer (which can retry a lock failure).
    retries: bool,
}

/// Every object an entry point's writes lock: the written SObject itself and each parent its
/// lock edges lead to, each with the first (shortest) path found.
fn locks_of(project: &Project, entry: &EntryPoint) -> JobLocks {
    let program = &project.program;
    let mut locks: BTreeMap<String, Lock> = BTreeMap::new();
    let mut serialized = BTreeSet::new();
    let mut retries = false;
    for method in &entry.methods {
        let reach = program.reach(*method, true);
        for (index, step) in reach.steps.iter().enumerate() {
            let facts = &program.facts[step.method.index()];
            retries |= !facts.finalizer_attached.is_empty();
            serialized.extend(
                facts
                    .queries
                    .iter()
                    .filter(|q| q.for_update)
                    .filter_map(|q| q.object.as_ref().map(|o| o.to_ascii_lowercase())),
            );
            for write in &facts.writes {
                let Some(object) = &write.object else {
                    continue;
                };
                // Paths are built only for objects seen the first time (the shortest path).
                let describe = |suffix: String| {
                    format!(
                        "{} → {} {object}{suffix}",
                        program.describe_path(&reach.path(index)),
                        write.kind.keyword()
                    )
                };
                locks
                    .entry(object.to_ascii_lowercase())
                    .or_insert_with(|| Lock {
                        object: object.clone(),
                        as_parent: false,
                        path: describe(String::new()),
                    });
                for edge in program.metadata.locked_parents(object) {
                    locks
                        .entry(edge.parent.to_ascii_lowercase())
                        .or_insert_with(|| Lock {
                            object: edge.parent.clone(),
                            as_parent: true,
                            path: describe(format!(" ({})", edge.describe())),
                        });
                }
            }
        }
    }
    JobLocks {
        locks,
        serialized,
        retries,
    }
}
