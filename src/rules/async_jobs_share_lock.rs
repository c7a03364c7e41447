use std::collections::{BTreeMap, BTreeSet, HashMap};

use rayon::prelude::*;

use super::{Finding, MAX_RELATED, Rule, RuleMeta, and_more, declare_rule};
use crate::apex::model::DmlKind;
use crate::index::Project;
use crate::index::events::Events;
use crate::index::metadata_index::LockEdge;
use crate::index::program::{EntryPoint, Program, ReachOptions};
use crate::index::symbols::{ClassId, MethodId};

declare_rule! {
    /// ## What it does
    /// Flags async entry points — classes implementing Queueable, Database.Batchable,
    /// Schedulable or Finalizer, and `@future` methods — that contend for the same rows,
    /// following the methods they call and the triggers (and trigger-framework handlers) their
    /// DML runs, through the branches for the events that DML saves (`Trigger.isUpdate`, a TDTM
    /// handler's `triggerAction`). Two jobs share a lock when both update, upsert, delete, undelete or merge the
    /// same SObject; when their writes (inserts included) lock the same parent SObject through
    /// the lock graph; or when one updates or deletes a parent whose children the other writes.
    /// One finding per entry point, naming the shared object and the path that reaches it.
    ///
    /// Flows: a record-triggered flow's scheduled paths, platform-event-triggered and
    /// schedule-triggered flows, and Apex triggers on platform events are entry points of
    /// their own; record-triggered flows run in every cascade, like triggers.
    ///
    /// Jobs that only insert rows of an object with no locking parent do not contend: new rows
    /// are nobody else's. Custom settings, platform events, big objects and custom metadata are
    /// never a shared lock. Test classes and code that only an `InstallHandler` runs are not
    /// entry points, nor is a subclass that inherits its base job's methods and holds exactly
    /// what the base holds (a state class extending a Queueable): it is the base job again.
    /// A Queueable, batch or Finalizer that nothing in the project creates (no `new`, no name
    /// in a string or a custom metadata record) and that is not `global` never runs as a job,
    /// or only by hand; a Schedulable counts all the same, since Setup can schedule it.
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
    ///     public static Id start() {
    ///         return System.enqueueJob(new InvoiceJob());
    ///     }
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
    /// ```xml flows/Case_Account_Touch.flow-meta.xml
    /// <?xml version="1.0" encoding="UTF-8"?>
    /// <Flow xmlns="http://soap.sforce.com/2006/04/metadata">
    ///     <label>Case Account Touch</label>
    ///     <processType>AutoLaunchedFlow</processType>
    ///     <recordUpdates>
    ///         <name>Touch_Account</name>
    ///         <label>Touch Account</label>
    ///         <inputReference>$Record.Account</inputReference>
    ///     </recordUpdates>
    ///     <start>
    ///         <object>Case</object>
    ///         <recordTriggerType>Create</recordTriggerType>
    ///         <scheduledPaths>
    ///             <name>Later</name>
    ///             <label>Later</label>
    ///             <connector><targetReference>Touch_Account</targetReference></connector>
    ///             <pathType>AsyncAfterCommit</pathType>
    ///         </scheduledPaths>
    ///         <triggerType>RecordAfterSave</triggerType>
    ///     </start>
    ///     <status>Active</status>
    /// </Flow>
    /// ```
    ///
    /// ## Fix
    /// ```apex InvoiceJob.cls
    /// public with sharing class InvoiceJob implements Queueable {
    ///     public static Id start() {
    ///         return System.enqueueJob(new InvoiceJob());
    ///     }
    ///     public void execute(QueueableContext context) {
    ///         insert new Contact(LastName = 'Billing', AccountId = '001000000000001AAA');
    ///         insert new Case(AccountId = '001000000000001AAA', Subject = 'Follow up');
    ///     }
    /// }
    /// ```
    /// ```xml flows/Case_Account_Touch.flow-meta.xml
    /// <?xml version="1.0" encoding="UTF-8"?>
    /// <Flow xmlns="http://soap.sforce.com/2006/04/metadata">
    ///     <label>Case Account Touch</label>
    ///     <processType>AutoLaunchedFlow</processType>
    ///     <recordUpdates>
    ///         <name>Touch_Account</name>
    ///         <label>Touch Account</label>
    ///         <inputReference>$Record.Account</inputReference>
    ///     </recordUpdates>
    ///     <start>
    ///         <connector><targetReference>Touch_Account</targetReference></connector>
    ///         <object>Case</object>
    ///         <recordTriggerType>Create</recordTriggerType>
    ///         <triggerType>RecordAfterSave</triggerType>
    ///     </start>
    ///     <status>Active</status>
    /// </Flow>
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

/// How a job holds an object's rows: it modifies them, or it locks them as the parent of what
/// it writes. Inserting rows of an object with no locking parent holds nothing: new rows are
/// nobody else's.
struct Hold<'p> {
    /// As displayed.
    object: &'p str,
    /// The shortest path to an update, upsert, delete, undelete or merge of the object.
    modified: Option<Route<'p>>,
    /// The shortest path to a write of a child that locks the object as its parent.
    as_parent: Option<Route<'p>>,
}

impl Hold<'_> {
    fn path(&self, program: &Program) -> String {
        self.as_parent
            .as_ref()
            .or(self.modified.as_ref())
            .map(|route| route.describe(program))
            .unwrap_or_default()
    }

    fn same_as(&self, other: &Hold<'_>, program: &Program) -> bool {
        let describe = |route: &Option<Route<'_>>| route.as_ref().map(|r| r.describe(program));
        self.object == other.object
            && describe(&self.modified) == describe(&other.modified)
            && describe(&self.as_parent) == describe(&other.as_parent)
    }
}

/// The shortest path to a write, kept as its methods: a job holds many objects, and only the
/// few that end up in a message are worth describing (formatting every path was most of the
/// rule's time on large projects).
struct Route<'p> {
    methods: Vec<MethodId>,
    kind: DmlKind,
    object: &'p str,
    /// The parent relationship, for a hold as a parent.
    edge: Option<&'p LockEdge>,
}

impl Route<'_> {
    fn describe(&self, program: &Program) -> String {
        let suffix = self
            .edge
            .map(|edge| format!(" ({})", edge.describe()))
            .unwrap_or_default();
        format!(
            "{} → {} {}{suffix}",
            program.describe_methods(&self.methods),
            self.kind.keyword(),
            self.object
        )
    }
}

impl Rule for AsyncJobsShareLock {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, project: &Project, findings: &mut Vec<Finding>) {
        let program = &project.program;
        let entries = program.entry_points();
        let held = held_writes(program);
        let jobs: Vec<JobLocks> = entries
            .par_iter()
            .map(|e| locks_of(program, &held, e))
            .collect();
        let repeats = repeats_of_a_base_job(project, &entries, &jobs);
        // Object → the jobs that hold it, so sharing is found without comparing every pair.
        let mut holders: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
        for (index, job) in jobs.iter().enumerate() {
            if repeats[index] {
                continue;
            }
            for key in job.holds.keys() {
                holders.entry(key).or_default().push(index);
            }
        }
        for (index, entry) in entries.iter().enumerate() {
            let job = &jobs[index];
            if repeats[index] {
                continue;
            }
            // Locks FOR UPDATE and retries from a Finalizer: the remedy is in place.
            if job.retries && !job.serialized.is_empty() {
                continue;
            }
            // The object this job shares: parent locks first (they are what collides under
            // data skew), then modified objects; by name within each.
            let shared = [true, false].into_iter().find_map(|parents| {
                job.holds
                    .iter()
                    .filter(|(_, hold)| hold.as_parent.is_some() == parents)
                    // Taken FOR UPDATE first: this job waits its turn instead of colliding.
                    .filter(|(key, _)| !job.serialized.contains(**key))
                    .find_map(|(key, hold)| {
                        let others: Vec<usize> = holders[*key]
                            .iter()
                            .copied()
                            .filter(|o| *o != index)
                            // Paths of one flow are one piece of automation.
                            .filter(|o| entry.group.is_none() || entries[*o].group != entry.group)
                            .collect();
                        (!others.is_empty()).then_some((key, hold, others))
                    })
            });
            let Some((key, hold, others)) = shared else {
                continue;
            };
            let names: Vec<&str> = others.iter().map(|o| entries[*o].label.as_str()).collect();
            let mut finding = Finding::new(
                &Self::META,
                entry.file,
                entry.span,
                message(&entry.label, &names, hold.object, &hold.path(program)),
            )
            .with_object(hold.object.to_string())
            .with_help("serialize writes per parent: do this work in one job, or chain the jobs so they never overlap, and lock the parent with `SELECT … FOR UPDATE` first");
            // The first few others with their paths, then one "and N more" (built here, not
            // for every pair: a thousand jobs on one object must stay linear).
            for other in others.iter().take(MAX_RELATED).copied() {
                let theirs = &jobs[other].holds[key];
                finding = finding.with_related(
                    entries[other].file,
                    entries[other].span,
                    related_message(&entries[other].label, theirs.object, &theirs.path(program)),
                );
            }
            if let Some(next) = others.get(MAX_RELATED) {
                finding = finding.with_related(
                    entries[*next].file,
                    entries[*next].span,
                    and_more(others.len() - MAX_RELATED),
                );
            }
            findings.push(finding);
        }
    }
}

/// Entry points that are a base job again: a subclass that inherits the same job methods and
/// holds exactly what its base (itself an entry point) holds, the same way. It runs the same
/// code for the same locks, so reporting it would only repeat the base's finding (a state
/// class extending a Queueable, say, names no job of its own).
fn repeats_of_a_base_job(
    project: &Project,
    entries: &[EntryPoint],
    jobs: &[JobLocks],
) -> Vec<bool> {
    let symbols = &project.program.symbols;
    let by_class: HashMap<ClassId, usize> = entries
        .iter()
        .enumerate()
        .filter_map(|(index, entry)| entry.class.map(|class| (class, index)))
        .collect();
    entries
        .iter()
        .enumerate()
        .map(|(index, entry)| {
            let Some(class) = entry.class else {
                return false;
            };
            let mut ancestor = symbols.class(class).superclass;
            // A chain of superclasses is short; the bound guards against a cycle in bad code.
            for _ in 0..64 {
                let Some(base) = ancestor else {
                    return false;
                };
                if let Some(&other) = by_class.get(&base)
                    && entries[other].methods == entry.methods
                    && jobs[other].same_as(&jobs[index], &project.program)
                {
                    return true;
                }
                ancestor = symbols.class(base).superclass;
            }
            false
        })
        .collect()
}

/// What one entry point holds, and how it guards itself.
struct JobLocks<'p> {
    /// Lower-cased object → how the job holds it.
    holds: BTreeMap<&'p str, Hold<'p>>,
    /// Lower-cased objects it locks with `SELECT … FOR UPDATE`.
    serialized: BTreeSet<String>,
    /// It attaches a Finalizer (which can retry a lock failure).
    retries: bool,
}

impl JobLocks<'_> {
    /// Holds the same objects by the same paths, guarded the same way.
    fn same_as(&self, other: &JobLocks<'_>, program: &Program) -> bool {
        self.retries == other.retries
            && self.serialized == other.serialized
            && self.holds.len() == other.holds.len()
            && self
                .holds
                .iter()
                .zip(&other.holds)
                .all(|((key, hold), (other_key, other_hold))| {
                    key == other_key && hold.same_as(other_hold, program)
                })
    }
}

/// A write a job can hold, with its object's key and the parents it locks: worked out once
/// per method, not again for every entry point that reaches it.
struct HeldWrite<'p> {
    kind: DmlKind,
    /// The trigger events whose branch the write is in.
    events: Events,
    object: &'p str,
    /// Lower-cased.
    key: String,
    /// The business parents the write locks, each with its lower-cased name.
    parents: Vec<(&'p LockEdge, String)>,
}

/// Per method, in the order of its writes: those a job holds each run. Error handling runs
/// after the job failed, so writes in a `catch` are not what it holds; settings, events, big
/// objects and metadata are not rows jobs contend for.
fn held_writes(program: &Program) -> Vec<Vec<HeldWrite<'_>>> {
    program
        .facts
        .par_iter()
        .map(|facts| {
            facts
                .writes
                .iter()
                .filter(|write| !write.in_catch)
                .filter_map(|write| {
                    let object = write.object.as_deref()?;
                    if !program.is_business_object(object) {
                        return None;
                    }
                    let parents = program
                        .metadata
                        .locked_parents(object)
                        .iter()
                        .filter(|edge| program.is_business_object(&edge.parent))
                        .map(|edge| (edge, edge.parent.to_ascii_lowercase()))
                        .collect();
                    Some(HeldWrite {
                        kind: write.kind,
                        events: write.events,
                        object,
                        key: object.to_ascii_lowercase(),
                        parents,
                    })
                })
                .collect()
        })
        .collect()
}

/// Every object an entry point's writes hold: what it modifies, and each parent its writes
/// (inserts included) lock through the lock graph, each with the first (shortest) path found.
fn locks_of<'p>(
    program: &'p Program,
    held: &'p [Vec<HeldWrite<'p>>],
    entry: &EntryPoint,
) -> JobLocks<'p> {
    let mut holds: BTreeMap<&'p str, Hold<'p>> = BTreeMap::new();
    let mut serialized = BTreeSet::new();
    let mut retries = false;
    let options = ReachOptions {
        cascade: true,
        skip_caught_calls: false,
        skip_error_handling: true,
    };
    for start in entry.starts(program) {
        let reach = program.reach(start, options);
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
            // A handler's branch for other trigger events does not run here.
            for write in held[step.method.index()]
                .iter()
                .filter(|write| write.events.intersects(step.events))
            {
                // The first path seen to an object is the shortest.
                let route = |edge: Option<&'p LockEdge>| Route {
                    methods: reach.path(index).iter().map(|step| step.method).collect(),
                    kind: write.kind,
                    object: write.object,
                    edge,
                };
                if write.kind != DmlKind::Insert {
                    let hold = hold_of(&mut holds, &write.key, write.object);
                    if hold.modified.is_none() {
                        hold.modified = Some(route(None));
                    }
                }
                for (edge, key) in &write.parents {
                    let hold = hold_of(&mut holds, key, &edge.parent);
                    if hold.as_parent.is_none() {
                        hold.as_parent = Some(route(Some(edge)));
                    }
                }
            }
        }
    }
    JobLocks {
        holds,
        serialized,
        retries,
    }
}

fn hold_of<'h, 'p>(
    holds: &'h mut BTreeMap<&'p str, Hold<'p>>,
    key: &'p str,
    object: &'p str,
) -> &'h mut Hold<'p> {
    holds.entry(key).or_insert_with(|| Hold {
        object,
        modified: None,
        as_parent: None,
    })
}
