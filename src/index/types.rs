//! Static types as far as lock analysis needs them: SObjects, project classes, collections.
//! Anything else is `Unknown`: lockgen never guesses a type.

use std::collections::HashMap;

use super::symbols::ClassId;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Ty {
    /// A concrete SObject type, as first written in the project (`Invoice__c`).
    SObject(String),
    /// `SObject`: some record, type unknown.
    AnySObject,
    Class(ClassId),
    /// `List<T>`, `Set<T>`, `T[]`, `Iterable<T>`: a collection of `T`.
    List(Box<Ty>),
    Map(Box<Ty>, Box<Ty>),
    /// A class name used as a value: `InvoiceService.post()`.
    ClassRef(ClassId),
    String,
    Unknown,
}

impl Ty {
    /// The SObject a DML statement on a value of this type writes.
    pub fn written_sobject(&self) -> Option<&str> {
        match self {
            Ty::SObject(name) => Some(name),
            Ty::List(inner) => match inner.as_ref() {
                Ty::SObject(name) => Some(name),
                _ => None,
            },
            _ => None,
        }
    }

    pub fn element(&self) -> Ty {
        match self {
            Ty::List(inner) => (**inner).clone(),
            _ => Ty::Unknown,
        }
    }

    pub fn class(&self) -> Option<ClassId> {
        match self {
            Ty::Class(id) => Some(*id),
            _ => None,
        }
    }
}

/// Standard objects lockgen recognises as SObject types in Apex (type names, `FROM` clauses).
/// Custom objects (`__c`, `__mdt`, `__e`, `__x`, `__b`) and anything with metadata in the
/// project are recognised by name.
const STANDARD_OBJECTS: &[&str] = &[
    "Account",
    "AccountContactRelation",
    "AccountShare",
    "AccountTeamMember",
    "Asset",
    "AssetRelationship",
    "AssignedResource",
    "Attachment",
    "Campaign",
    "CampaignMember",
    "CampaignMemberStatus",
    "Case",
    "CaseComment",
    "CaseContactRole",
    "CaseMilestone",
    "CaseTeamMember",
    "Contact",
    "ContactPointEmail",
    "ContactPointPhone",
    "ContentDocument",
    "ContentDocumentLink",
    "ContentVersion",
    "Contract",
    "ContractLineItem",
    "Document",
    "EmailMessage",
    "Entitlement",
    "Event",
    "EventRelation",
    "FeedComment",
    "FeedItem",
    "Group",
    "GroupMember",
    "Idea",
    "Individual",
    "Lead",
    "Note",
    "Opportunity",
    "OpportunityContactRole",
    "OpportunityLineItem",
    "OpportunityPartner",
    "OpportunitySplit",
    "OpportunityTeamMember",
    "Order",
    "OrderItem",
    "Partner",
    "PermissionSet",
    "PermissionSetAssignment",
    "Pricebook2",
    "PricebookEntry",
    "Product2",
    "Profile",
    "Quote",
    "QuoteLineItem",
    "RecordType",
    "ServiceAppointment",
    "ServiceContract",
    "Solution",
    "Task",
    "TaskRelation",
    "User",
    "UserRole",
    "WorkOrder",
    "WorkOrderLineItem",
];

/// Suffixes of custom SObject API names.
const CUSTOM_SUFFIXES: &[&str] = &["__c", "__mdt", "__e", "__x", "__b", "__kav", "__share"];

/// Which names are SObject types: the standard list, custom suffixes, and every object with
/// metadata in the project.
#[derive(Debug, Default)]
pub struct SObjectNames {
    /// Lower-cased name → the spelling to display (standard list, else the metadata folder).
    known: HashMap<String, String>,
}

impl SObjectNames {
    pub fn new(project_objects: impl IntoIterator<Item = String>) -> Self {
        let mut known: HashMap<String, String> = HashMap::new();
        for name in project_objects {
            known.entry(name.to_ascii_lowercase()).or_insert(name);
        }
        for name in STANDARD_OBJECTS {
            known.insert(name.to_ascii_lowercase(), (*name).to_string());
        }
        SObjectNames { known }
    }

    /// Is `name` (possibly `Schema.`-qualified) an SObject type? Returns its display spelling.
    pub fn sobject(&self, name: &str) -> Option<String> {
        let name = strip_schema(name);
        if name.contains('.') || name.is_empty() {
            return None;
        }
        let lower = name.to_ascii_lowercase();
        if let Some(display) = self.known.get(&lower) {
            return Some(display.clone());
        }
        if CUSTOM_SUFFIXES.iter().any(|s| lower.ends_with(s)) {
            return Some(name.to_string());
        }
        None
    }
}

fn strip_schema(name: &str) -> &str {
    match name.get(..7) {
        Some(prefix) if prefix.eq_ignore_ascii_case("schema.") => &name[7..],
        _ => name,
    }
}
