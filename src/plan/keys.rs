//! Stage 2, key rows: which parents a row of the object locks, from the project's lock graph,
//! and which columns of the file name them.
//!
//! The lock keys of an object, in the order a planner should prefer them: master-detail fields,
//! required lookups, `Restrict` lookups, standard relationships that lock (Contact.AccountId …),
//! then relationship fields to parents that the object's own automation updates.

use std::collections::BTreeSet;

use serde::Serialize;

use crate::apex::model::DmlKind;
use crate::index::Project;
use crate::index::metadata_index::LockReason;
use crate::index::program::ReachOptions;
use crate::index::symbols::{BodyKind, Target};
use crate::index::types::SObjectNames;
use crate::metadata::standard::STANDARD_LOCKS;

/// Why a write to the object locks the parent a field points at.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum KeyReason {
    MasterDetail,
    RequiredLookup,
    RestrictLookup,
    Standard,
    /// The object's own triggers (or what they call) update the parent.
    Automation,
}

/// A field whose parent a write to the object locks.
#[derive(Debug, Clone, Serialize)]
pub struct LockKey {
    pub field: String,
    pub parent: String,
    pub reason: KeyReason,
    /// For [`KeyReason::Automation`]: the trigger that updates the parent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trigger: Option<String>,
}

impl LockKey {
    /// `master-detail to Invoice__c`, for reports.
    pub fn describe(&self) -> String {
        match self.reason {
            KeyReason::MasterDetail => format!("master-detail to {}", self.parent),
            KeyReason::RequiredLookup => format!("required lookup to {}", self.parent),
            KeyReason::RestrictLookup => format!("Restrict lookup to {}", self.parent),
            KeyReason::Standard => format!("standard relationship to {}", self.parent),
            KeyReason::Automation => format!(
                "lookup to {}, which trigger {} updates",
                self.parent,
                self.trigger.as_deref().unwrap_or("?")
            ),
        }
    }

    /// Does a column header name this field, directly (`Account__c`, `AccountId`) or through
    /// the parent's external ID (`Account__r.Key__c`, `Account.Key__c`, `Account:Key__c`)?
    pub fn matches(&self, header: &str) -> bool {
        let header = header.trim();
        if header.eq_ignore_ascii_case(&self.field) {
            return true;
        }
        let Some((relationship, key)) = header.split_once(['.', ':']) else {
            return false;
        };
        !key.trim().is_empty()
            && (relationship.eq_ignore_ascii_case(&relationship_name(&self.field))
                || relationship.eq_ignore_ascii_case(&self.parent))
    }
}

/// The relationship name of a reference field: `Invoice__c` → `Invoice__r`, `AccountId` →
/// `Account`.
fn relationship_name(field: &str) -> String {
    let lower = field.to_ascii_lowercase();
    if lower.ends_with("__c") {
        format!("{}__r", &field[..field.len() - 3])
    } else if lower.ends_with("id") && field.len() > 2 {
        field[..field.len() - 2].to_string()
    } else {
        field.to_string()
    }
}

/// Is the object one the project or Salesforce knows?
pub fn object_known(project: &Project, object: &str) -> Option<String> {
    let program = &project.program;
    if let Some(name) = program
        .metadata
        .objects
        .iter()
        .find(|o| o.eq_ignore_ascii_case(object))
    {
        return Some(name.clone());
    }
    if let Some(trigger) = program.triggers_on(object).first() {
        return Some(trigger.object.clone());
    }
    if let Some((child, _, _)) = STANDARD_LOCKS
        .iter()
        .find(|(child, _, _)| child.eq_ignore_ascii_case(object))
    {
        return Some((*child).to_string());
    }
    // Standard objects only: a custom name (`__c`) must have metadata in the project.
    let lower = object.to_ascii_lowercase();
    if lower.contains("__") {
        return None;
    }
    SObjectNames::new(std::iter::empty()).sobject(object)
}

/// Objects with a name close to `object`, for "did you mean".
pub fn suggest_object(project: &Project, object: &str) -> Option<String> {
    let lower = object.to_ascii_lowercase();
    let candidates = project
        .program
        .metadata
        .objects
        .iter()
        .map(String::as_str)
        .chain(STANDARD_LOCKS.iter().map(|(child, _, _)| *child));
    candidates
        .map(|c| {
            (
                crate::rules::registry::edit_distance(&lower, &c.to_ascii_lowercase()),
                c,
            )
        })
        .filter(|(distance, c)| *distance <= 3.max(c.len() / 4))
        .min()
        .map(|(_, c)| c.to_string())
}

/// The lock keys of `object`, in planning order.
pub fn lock_keys(project: &Project, object: &str) -> Vec<LockKey> {
    let program = &project.program;
    let mut keys: Vec<(KeyReason, u8, LockKey)> = Vec::new();
    for edge in program.metadata.locked_parents(object) {
        let meta = program
            .metadata
            .field(object, &edge.field)
            .and_then(|i| project.fields.get(i));
        let reason = match edge.reason {
            LockReason::MasterDetail => KeyReason::MasterDetail,
            LockReason::Standard => KeyReason::Standard,
            // A lookup that is both required and Restrict counts as required.
            LockReason::RestrictLookup | LockReason::RequiredLookup
                if meta.is_some_and(|m| m.meta.required) =>
            {
                KeyReason::RequiredLookup
            }
            LockReason::RestrictLookup | LockReason::RequiredLookup => KeyReason::RestrictLookup,
        };
        // A junction's primary master-detail is `relationshipOrder` 0, the secondary 1.
        let order = meta.map_or(0, |unit| relationship_order(project, unit.file));
        keys.push((
            reason.clone(),
            order,
            LockKey {
                field: edge.field.clone(),
                parent: edge.parent.clone(),
                reason,
                trigger: None,
            },
        ));
    }
    keys.sort_by(|a, b| {
        (&a.0, a.1, a.2.field.to_ascii_lowercase()).cmp(&(
            &b.0,
            b.1,
            b.2.field.to_ascii_lowercase(),
        ))
    });
    let mut keys: Vec<LockKey> = keys.into_iter().map(|(_, _, key)| key).collect();
    for (parent, trigger) in parents_updated_by_automation(project, object) {
        let fields = project.fields.iter().filter(|unit| {
            unit.meta.object.eq_ignore_ascii_case(object)
                && unit
                    .meta
                    .reference_to
                    .iter()
                    .any(|r| r.eq_ignore_ascii_case(&parent))
        });
        for unit in fields {
            if keys
                .iter()
                .any(|k| k.field.eq_ignore_ascii_case(&unit.meta.name))
            {
                continue;
            }
            keys.push(LockKey {
                field: unit.meta.name.clone(),
                parent: unit.meta.reference_to[0].clone(),
                reason: KeyReason::Automation,
                trigger: Some(trigger.clone()),
            });
        }
    }
    keys
}

/// `<relationshipOrder>` of a master-detail field file (1 for a junction's second master).
fn relationship_order(project: &Project, file: crate::index::FileId) -> u8 {
    let text = &project.file(file).text;
    let Some(start) = text.find("<relationshipOrder>") else {
        return 0;
    };
    let rest = &text[start + "<relationshipOrder>".len()..];
    // Object files hold many fields: only a field file's own element counts.
    if text.matches("<fullName>").count() > 1 {
        return 0;
    }
    rest.split('<')
        .next()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0)
}

/// Parents (lower-cased name → the trigger) that an insert or update of `object` updates
/// through its active triggers and everything they reach, cascades included. Sorted by parent.
fn parents_updated_by_automation(project: &Project, object: &str) -> Vec<(String, String)> {
    let program = &project.program;
    let mut parents: BTreeSet<(String, String)> = BTreeSet::new();
    for trigger in program.triggers_on(object) {
        // A load inserts, updates or upserts.
        if trigger.runs_on(DmlKind::Upsert).is_empty() {
            continue;
        }
        // An Apex trigger by its name, or a record-triggered flow by its label and API name.
        let info = program.symbols.method(trigger.body);
        let name = match info.kind {
            BodyKind::Trigger => info.name.clone(),
            _ => program.symbols.display(trigger.body),
        };
        let start = Target {
            method: trigger.body,
            receiver: None,
        };
        let options = ReachOptions {
            cascade: true,
            ..ReachOptions::default()
        };
        let reach = program.reach(start, options);
        for step in &reach.steps {
            for write in &program.facts[step.method.index()].writes {
                if let (DmlKind::Update | DmlKind::Upsert, Some(written)) =
                    (write.kind, &write.object)
                    && !written.eq_ignore_ascii_case(object)
                {
                    parents.insert((written.to_ascii_lowercase(), name.clone()));
                }
            }
        }
    }
    // One trigger per parent: the first by name.
    let mut seen = BTreeSet::new();
    parents
        .into_iter()
        .filter(|(parent, _)| seen.insert(parent.clone()))
        .collect()
}

/// The columns that carry one lock key, in header order: the Id column, then external-ID forms.
#[derive(Debug, Clone, Serialize)]
pub struct KeyColumns {
    pub key: LockKey,
    /// Header names as written in the file.
    pub headers: Vec<String>,
    #[serde(skip)]
    pub columns: Vec<usize>,
}

/// The lock keys that the header has columns for, primary first.
pub fn match_columns(keys: &[LockKey], header: &[String]) -> Vec<KeyColumns> {
    let mut matched = Vec::new();
    let mut taken = vec![false; header.len()];
    for key in keys {
        let mut columns: Vec<usize> = Vec::new();
        // The Id column first, then relationship forms, each in header order.
        for direct in [true, false] {
            for (index, name) in header.iter().enumerate() {
                let is_direct = name.trim().eq_ignore_ascii_case(&key.field);
                if !taken[index] && is_direct == direct && key.matches(name) {
                    columns.push(index);
                    taken[index] = true;
                }
            }
        }
        if !columns.is_empty() {
            matched.push(KeyColumns {
                key: key.clone(),
                headers: columns.iter().map(|c| header[*c].clone()).collect(),
                columns,
            });
        }
    }
    matched
}

impl KeyColumns {
    /// The parent a row names through this key: the first non-empty column, tagged with the
    /// column so that an Id and an external ID never compare equal. Empty: no parent.
    pub fn value(&self, row: &super::read::Row<'_>, into: &mut Vec<u8>) {
        into.clear();
        for (tag, column) in self.columns.iter().enumerate() {
            let Some(value) = row.field(*column) else {
                continue;
            };
            if value.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            into.push(tag as u8);
            into.extend_from_slice(value);
            return;
        }
    }
}

/// A key value as users read it (without the column tag).
pub fn display_value(key: &[u8]) -> String {
    String::from_utf8_lossy(key.get(1..).unwrap_or_default()).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(field: &str, parent: &str) -> LockKey {
        LockKey {
            field: field.to_string(),
            parent: parent.to_string(),
            reason: KeyReason::MasterDetail,
            trigger: None,
        }
    }

    #[test]
    fn external_id_forms_match() {
        let k = key("Invoice__c", "Invoice__c");
        assert!(k.matches("invoice__C"));
        assert!(k.matches("Invoice__r.Number__c"));
        assert!(k.matches("Invoice__r:Number__c"));
        assert!(k.matches("Invoice__c.Number__c"));
        assert!(!k.matches("Invoice__r."));
        assert!(!k.matches("Invoice_Total__c"));
        let a = key("AccountId", "Account");
        assert!(a.matches("Account.Key__c"));
        assert!(a.matches("Account:Key__c"));
        assert!(a.matches("ACCOUNTID"));
    }

    #[test]
    fn columns_prefer_the_id() {
        let keys = vec![key("Account__c", "Account"), key("Contact__c", "Contact")];
        let header: Vec<String> = ["Name", "Account__r.Key__c", "contact__c", "account__c"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let matched = match_columns(&keys, &header);
        assert_eq!(matched.len(), 2);
        assert_eq!(matched[0].columns, vec![3, 1]);
        assert_eq!(matched[1].columns, vec![2]);
    }
}
