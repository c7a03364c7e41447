//! Object metadata indexed for lookups: fields by object and name, relationship navigation,
//! and the lock graph (which parents a write to each SObject locks).

use std::collections::HashMap;

use crate::metadata::standard::STANDARD_LOCKS;

use super::{FieldUnit, FileId};
use crate::apex::Span;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum LockReason {
    MasterDetail,
    RestrictLookup,
    RequiredLookup,
    /// A standard relationship from Salesforce's record-locking cheat sheet.
    Standard,
}

/// A write to the child locks `parent` through `field`.
#[derive(Debug, Clone)]
pub struct LockEdge {
    pub child: String,
    pub field: String,
    pub parent: String,
    pub reason: LockReason,
    /// Where the relationship is defined, for metadata-defined edges.
    pub defined_at: Option<(FileId, Span)>,
}

impl LockEdge {
    /// `master-detail to Account`, for messages.
    pub fn describe(&self) -> String {
        match self.reason {
            LockReason::MasterDetail => format!("master-detail to {}", self.parent),
            LockReason::RestrictLookup => format!("Restrict lookup to {}", self.parent),
            LockReason::RequiredLookup => format!("required lookup to {}", self.parent),
            LockReason::Standard => format!("{} locks {}", self.field, self.parent),
        }
    }
}

#[derive(Debug, Default)]
pub struct MetadataIndex {
    /// `(object, field)` lower-cased → index into `Project::fields`.
    fields: HashMap<(String, String), usize>,
    /// `(object, field)` lower-cased → the object a relationship field points to.
    references: HashMap<(String, String), String>,
    /// Lower-cased child object → the parents a write to it locks, sorted by parent.
    locks: HashMap<String, Vec<LockEdge>>,
    /// Every object with metadata in the project, as its folder or file names it.
    pub objects: Vec<String>,
}

impl MetadataIndex {
    pub fn build(fields: &[FieldUnit]) -> MetadataIndex {
        let mut index = MetadataIndex::default();
        let mut objects: Vec<String> = Vec::new();
        for (position, unit) in fields.iter().enumerate() {
            let meta = &unit.meta;
            let key = (
                meta.object.to_ascii_lowercase(),
                meta.name.to_ascii_lowercase(),
            );
            if let Some(target) = meta.reference_to.first() {
                index
                    .references
                    .entry(key.clone())
                    .or_insert_with(|| target.clone());
            }
            index.fields.entry(key).or_insert(position);
            objects.push(meta.object.clone());
            if !meta.locks_parent() {
                continue;
            }
            let Some(parent) = meta.reference_to.first() else {
                continue;
            };
            let reason = if meta.is_master_detail() {
                LockReason::MasterDetail
            } else if meta.is_restrict() {
                LockReason::RestrictLookup
            } else {
                LockReason::RequiredLookup
            };
            index.add_lock(LockEdge {
                child: meta.object.clone(),
                field: meta.name.clone(),
                parent: parent.clone(),
                reason,
                defined_at: Some((
                    unit.file,
                    meta.delete_constraint_span.unwrap_or(meta.name_span),
                )),
            });
        }
        for (child, field, parent) in STANDARD_LOCKS {
            index.add_lock(LockEdge {
                child: (*child).to_string(),
                field: (*field).to_string(),
                parent: (*parent).to_string(),
                reason: LockReason::Standard,
                defined_at: None,
            });
        }
        for edges in index.locks.values_mut() {
            edges.sort_by(|a, b| {
                a.parent
                    .to_ascii_lowercase()
                    .cmp(&b.parent.to_ascii_lowercase())
                    .then(a.field.cmp(&b.field))
            });
        }
        objects.sort_by_key(|o| o.to_ascii_lowercase());
        objects.dedup_by(|a, b| a.eq_ignore_ascii_case(b));
        index.objects = objects;
        index
    }

    fn add_lock(&mut self, edge: LockEdge) {
        let edges = self
            .locks
            .entry(edge.child.to_ascii_lowercase())
            .or_default();
        // Metadata wins over the built-in table for the same field.
        if edges
            .iter()
            .any(|e| e.field.eq_ignore_ascii_case(&edge.field))
        {
            return;
        }
        edges.push(edge);
    }

    pub fn field(&self, object: &str, field: &str) -> Option<usize> {
        self.fields
            .get(&(object.to_ascii_lowercase(), field.to_ascii_lowercase()))
            .copied()
    }

    /// The parents a write to `object` locks.
    pub fn locked_parents(&self, object: &str) -> &[LockEdge] {
        self.locks
            .get(&object.to_ascii_lowercase())
            .map_or(&[], Vec::as_slice)
    }

    /// The object a parent relationship leads to: `Invoice__r` on a child with an `Invoice__c`
    /// lookup, or a standard relationship such as `Contact.Account`.
    pub fn relationship_target(&self, object: &str, relationship: &str) -> Option<String> {
        let lower = relationship.to_ascii_lowercase();
        let edges = self.locks.get(&object.to_ascii_lowercase());
        if let Some(stem) = lower.strip_suffix("__r") {
            let field = format!("{stem}__c");
            if let Some(edge) =
                edges.and_then(|e| e.iter().find(|e| e.field.eq_ignore_ascii_case(&field)))
            {
                return Some(edge.parent.clone());
            }
            return self.reference_of(object, &field);
        }
        let id_field = format!("{lower}id");
        edges
            .and_then(|e| e.iter().find(|e| e.field.eq_ignore_ascii_case(&id_field)))
            .map(|e| e.parent.clone())
    }

    fn reference_of(&self, object: &str, field: &str) -> Option<String> {
        self.references
            .get(&(object.to_ascii_lowercase(), field.to_ascii_lowercase()))
            .cloned()
    }
}
