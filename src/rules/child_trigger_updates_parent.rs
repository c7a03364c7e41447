use std::collections::BTreeSet;

use super::{Finding, Rule, RuleMeta, declare_rule};
use crate::apex::model::DmlKind;
use crate::index::Project;
use crate::index::program::ReachOptions;
use crate::index::symbols::{BodyKind, Target};

declare_rule! {
    /// ## What it does
    /// Flags an `update` or `upsert` of a parent record made by a trigger on a child object,
    /// or by a method the trigger calls, when a write to the child already locks that parent
    /// (master-detail, `Restrict` or required lookup, or a standard relationship such as
    /// Contact→Account).
    ///
    /// ## Why it matters
    /// Saving a child locks its parent. A child trigger that then updates the parent (a
    /// hand-written roll-up, a "last activity" stamp) writes the most contended row of all,
    /// and runs that parent's triggers inside the child's transaction. Parallel loads of
    /// children under one parent queue on it and fail with `UNABLE_TO_LOCK_ROW`; two children
    /// saved together can deadlock. Inserting a parent does not fire, and a parent reached
    /// through a `SetNull` lookup is not locked by the child, so it does not fire either.
    ///
    /// Flows: an active after-save record-triggered flow (or Process Builder process) on the
    /// child, or a subflow or invocable Apex it calls, that updates the locked parent fires
    /// too. Before-save flows change only the record being saved; a scheduled path runs later,
    /// in its own transaction, after the child's locks are released.
    ///
    /// Trigger frameworks are followed to the handlers they run for the child's object and
    /// events: the Apex Trigger Actions Framework (`Trigger_Action__mdt`), TDTM
    /// (`Trigger_Handler__c` records built in Apex), fflib domains
    /// (`fflib_SObjectDomain.triggerHandler(X.class)`), and handler registries in custom
    /// metadata that pair a class with an object. Records handed to a DML wrapper or a unit of
    /// work for a later update count as that update, where they are handed over.
    ///
    /// ## Example
    /// ```apex InvoiceLineTrigger.trigger
    /// trigger InvoiceLineTrigger on Invoice_Line__c (after insert, after update) {
    ///     InvoiceTotals.recalculate(Trigger.new);
    /// }
    /// ```
    /// ```apex InvoiceTotals.cls
    /// public with sharing class InvoiceTotals {
    ///     public static void recalculate(List<Invoice_Line__c> lines) {
    ///         Map<Id, Invoice__c> invoices = new Map<Id, Invoice__c>();
    ///         for (Invoice_Line__c line : lines) {
    ///             invoices.put(line.Invoice__c, new Invoice__c(Id = line.Invoice__c, Needs_Total__c = true));
    ///         }
    ///         update invoices.values();
    ///     }
    /// }
    /// ```
    /// ```xml objects/Invoice_Line__c/fields/Invoice__c.field-meta.xml
    /// <CustomField xmlns="http://soap.sforce.com/2006/04/metadata">
    ///     <fullName>Invoice__c</fullName>
    ///     <referenceTo>Invoice__c</referenceTo>
    ///     <relationshipName>Lines</relationshipName>
    ///     <type>MasterDetail</type>
    /// </CustomField>
    /// ```
    /// ```xml flows/Invoice_Line_Totals.flow-meta.xml
    /// <?xml version="1.0" encoding="UTF-8"?>
    /// <Flow xmlns="http://soap.sforce.com/2006/04/metadata">
    ///     <label>Invoice Line Totals</label>
    ///     <processType>AutoLaunchedFlow</processType>
    ///     <recordUpdates>
    ///         <name>Mark_Invoice</name>
    ///         <label>Mark Invoice</label>
    ///         <inputReference>$Record.Invoice__r</inputReference>
    ///     </recordUpdates>
    ///     <start>
    ///         <connector><targetReference>Mark_Invoice</targetReference></connector>
    ///         <object>Invoice_Line__c</object>
    ///         <recordTriggerType>CreateAndUpdate</recordTriggerType>
    ///         <triggerType>RecordAfterSave</triggerType>
    ///     </start>
    ///     <status>Active</status>
    /// </Flow>
    /// ```
    ///
    /// ## Fix
    /// ```apex InvoiceLineTrigger.trigger
    /// trigger InvoiceLineTrigger on Invoice_Line__c (after insert, after update) {
    ///     InvoiceTotals.recalculateLater(Trigger.newMap.keySet());
    /// }
    /// ```
    /// ```apex InvoiceTotals.cls
    /// public with sharing class InvoiceTotals {
    ///     public static void recalculateLater(Set<Id> lineIds) {
    ///         System.enqueueJob(new InvoiceTotalsJob(lineIds));
    ///     }
    /// }
    /// ```
    /// ```xml objects/Invoice_Line__c/fields/Invoice__c.field-meta.xml
    /// <CustomField xmlns="http://soap.sforce.com/2006/04/metadata">
    ///     <fullName>Invoice__c</fullName>
    ///     <referenceTo>Invoice__c</referenceTo>
    ///     <relationshipName>Lines</relationshipName>
    ///     <type>MasterDetail</type>
    /// </CustomField>
    /// ```
    /// ```xml flows/Invoice_Line_Totals.flow-meta.xml
    /// <?xml version="1.0" encoding="UTF-8"?>
    /// <Flow xmlns="http://soap.sforce.com/2006/04/metadata">
    ///     <label>Invoice Line Totals</label>
    ///     <processType>AutoLaunchedFlow</processType>
    ///     <recordUpdates>
    ///         <name>Mark_Invoice</name>
    ///         <label>Mark Invoice</label>
    ///         <inputReference>$Record.Invoice__r</inputReference>
    ///     </recordUpdates>
    ///     <start>
    ///         <object>Invoice_Line__c</object>
    ///         <recordTriggerType>CreateAndUpdate</recordTriggerType>
    ///         <scheduledPaths>
    ///             <name>After_Commit</name>
    ///             <label>After Commit</label>
    ///             <connector><targetReference>Mark_Invoice</targetReference></connector>
    ///             <pathType>AsyncAfterCommit</pathType>
    ///         </scheduledPaths>
    ///         <triggerType>RecordAfterSave</triggerType>
    ///     </start>
    ///     <status>Active</status>
    /// </Flow>
    /// ```
    /// Better still, a roll-up summary field lets the platform maintain the total. An async job
    /// can group the lines by invoice, lock each invoice once with `FOR UPDATE`, and update it.
    ///
    /// ## References
    /// - [Record Locking Cheat Sheet](https://developer.salesforce.com/docs/atlas.en-us.salesforce_record_locking_cheatsheet.meta/salesforce_record_locking_cheatsheet/)
    /// - [Designing Record Access for Enterprise Scale: parent-child data skew](https://developer.salesforce.com/docs/atlas.en-us.draes.meta/draes/draes_group_membership_data_skew.htm)
    pub ChildTriggerUpdatesParent {
        code: "LCK009",
        name: "child-trigger-updates-parent",
        default_severity: Warning,
        since: "0.1.0",
    }
}

fn message(who: &str, child: &str, kind: DmlKind, parent: &str, lock: &str, path: &str) -> String {
    format!(
        "{who} on `{child}` {}s its locked parent `{parent}` ({lock}): {path}",
        kind.keyword()
    )
}

impl Rule for ChildTriggerUpdatesParent {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, project: &Project, findings: &mut Vec<Finding>) {
        let program = &project.program;
        let mut reported: BTreeSet<(u32, u32)> = BTreeSet::new();
        let mut objects: Vec<&String> = program.triggers.keys().collect();
        objects.sort();
        for object in objects {
            let parents = program.metadata.locked_parents(object);
            // A child that locks no parent cannot contend on one.
            if parents.is_empty() {
                continue;
            }
            for trigger in program.triggers_on(object) {
                let start = Target {
                    method: trigger.body,
                    receiver: None,
                };
                let reach = program.reach(start, ReachOptions::default());
                for (index, step) in reach.steps.iter().enumerate() {
                    let method = program.symbols.method(step.method);
                    for write in &program.facts[step.method.index()].writes {
                        // Inserting a parent takes no lock on an existing one.
                        if !matches!(write.kind, DmlKind::Update | DmlKind::Upsert)
                            || !step.runs(write)
                        {
                            continue;
                        }
                        let Some(written) = &write.object else {
                            continue;
                        };
                        let Some(edge) = parents
                            .iter()
                            .find(|e| e.parent.eq_ignore_ascii_case(written))
                        else {
                            continue;
                        };
                        if !reported.insert((method.file.0, write.span.start)) {
                            continue;
                        }
                        let trigger_info = program.symbols.method(trigger.body);
                        let path = format!(
                            "{} → {} {}",
                            program.describe_path(&reach.path(index)),
                            write.kind.keyword(),
                            written
                        );
                        // An Apex trigger, or a record-triggered flow: how to name it, and where
                        // it says what it runs on.
                        let (who, runs_on) = match trigger_info.kind {
                            BodyKind::Flow(_) => {
                                let flow = &project.flows[trigger_info.unit].model;
                                (
                                    flow.display(),
                                    Some((
                                        flow.start.line_span(),
                                        format!(
                                            "{} runs when `{}` records are saved",
                                            flow.display(),
                                            trigger.object
                                        ),
                                    )),
                                )
                            }
                            _ => (
                                format!("trigger `{}`", trigger_info.name),
                                program
                                    .symbols
                                    .model(&project.apex, trigger.body)
                                    .and_then(|m| m.trigger.as_ref())
                                    .map(|decl| {
                                        (
                                            crate::apex::Span {
                                                start: decl.span.start,
                                                end: decl.object.span.end,
                                            },
                                            format!(
                                                "`{}` runs on every `{}` save",
                                                trigger_info.name, trigger.object
                                            ),
                                        )
                                    }),
                            ),
                        };
                        let mut finding = Finding::new(
                            &Self::META,
                            method.file,
                            write.span,
                            message(&who, &trigger.object, write.kind, written, &edge.describe(), &path),
                        )
                        .with_object(written.clone())
                        .with_help("saving the child already locks this parent; let a roll-up summary field maintain it, or update it from an async job that groups children by parent");
                        if let Some((span, text)) = runs_on {
                            finding = finding.with_related(trigger_info.file, span, text);
                        }
                        findings.push(finding);
                    }
                }
            }
        }
    }
}
