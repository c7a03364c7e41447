use super::{Finding, Rule, RuleMeta, declare_rule};
use crate::index::{FieldUnit, Project};

declare_rule! {
    /// ## What it does
    /// Flags a lookup field whose delete constraint is `Restrict`, or that is required: every
    /// insert or update of a child record then locks the parent record it points to.
    ///
    /// ## Why it matters
    /// A lookup set to "Clear the value of this field" (`SetNull`, the default) does not lock
    /// the parent when a child is saved. A `Restrict` lookup ("Don't allow deletion of the
    /// lookup record") or a required lookup does, like a master-detail. When many children
    /// share a parent (one Account with thousands of Invoices, a "catch-all" record), concurrent
    /// saves queue on that one parent for up to 10 seconds each and then fail with
    /// `UNABLE_TO_LOCK_ROW`; Bulk API loads and parallel batches suffer most.
    ///
    /// ## Example
    /// ```xml objects/Invoice__c/fields/Account__c.field-meta.xml
    /// <?xml version="1.0" encoding="UTF-8"?>
    /// <CustomField xmlns="http://soap.sforce.com/2006/04/metadata">
    ///     <fullName>Account__c</fullName>
    ///     <deleteConstraint>Restrict</deleteConstraint>
    ///     <label>Account</label>
    ///     <referenceTo>Account</referenceTo>
    ///     <relationshipName>Invoices</relationshipName>
    ///     <type>Lookup</type>
    /// </CustomField>
    /// ```
    ///
    /// ## Fix
    /// ```xml objects/Invoice__c/fields/Account__c.field-meta.xml
    /// <?xml version="1.0" encoding="UTF-8"?>
    /// <CustomField xmlns="http://soap.sforce.com/2006/04/metadata">
    ///     <fullName>Account__c</fullName>
    ///     <deleteConstraint>SetNull</deleteConstraint>
    ///     <label>Account</label>
    ///     <referenceTo>Account</referenceTo>
    ///     <relationshipName>Invoices</relationshipName>
    ///     <required>false</required>
    ///     <type>Lookup</type>
    /// </CustomField>
    /// ```
    /// Where the relationship must stay restricted, keep concurrent writers apart instead:
    /// process children grouped by parent, and sort Bulk API loads by the parent Id.
    ///
    /// ## References
    /// - [Record Locking Cheat Sheet](https://developer.salesforce.com/docs/atlas.en-us.salesforce_record_locking_cheatsheet.meta/salesforce_record_locking_cheatsheet/)
    /// - [Metadata API: CustomField `deleteConstraint`](https://developer.salesforce.com/docs/atlas.en-us.api_meta.meta/api_meta/customfield.htm)
    /// - [Designing Record Access for Enterprise Scale: lookup skew](https://developer.salesforce.com/docs/atlas.en-us.draes.meta/draes/draes_object_relationships_lookup_skew.htm)
    pub LookupLocksParent {
        code: "LCK003",
        name: "lookup-locks-parent",
        default_severity: Info,
        since: "0.1.0",
    }
}

fn message(field: &FieldUnit, parent: &str, reason: &str) -> String {
    format!(
        "lookup `{}.{}` locks its `{parent}` parent on every child write: {reason}",
        field.meta.object, field.meta.name
    )
}

impl Rule for LookupLocksParent {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, project: &Project, findings: &mut Vec<Finding>) {
        for field in &project.fields {
            let meta = &field.meta;
            // Master-detail always locks by design; this rule is about lookups.
            if !meta.is_lookup() {
                continue;
            }
            let reason = if meta.is_restrict() && meta.required {
                "it is required and its delete constraint is `Restrict`"
            } else if meta.is_restrict() {
                "its delete constraint is `Restrict`"
            } else if meta.required {
                "it is required"
            } else {
                // SetNull (the default) does not lock the parent.
                continue;
            };
            let span = meta.delete_constraint_span.unwrap_or(meta.name_span);
            let parent = meta.reference_to.first().map_or("parent", String::as_str);
            // A required lookup cannot be `SetNull`: the platform refuses that combination.
            let help = if meta.required {
                "a required lookup cannot be `SetNull`: make it optional first if the data allows, otherwise keep writes to one parent's children serial (one job per parent, bulk loads sorted by parent)"
            } else {
                "use \"Clear the value of this field\" (`SetNull`) if the data allows, or keep writers to one parent's children from running concurrently"
            };
            findings.push(
                Finding::new(
                    &Self::META,
                    field.file,
                    span,
                    message(field, parent, reason),
                )
                .with_object(parent.to_string())
                .with_help(help),
            );
        }
    }
}
