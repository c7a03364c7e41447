//! What the platform requires to create a record of a standard object, and which standard
//! fields are relationships to which objects: the facts a generator needs to write records
//! that save, and to check a `--parent-field` it is given.
//!
//! Source: Salesforce, "Object Reference for the Salesforce Platform" (SOAP API Developer
//! Guide), the field table of each object
//! (https://developer.salesforce.com/docs/atlas.en-us.object_reference.meta/object_reference/).
//! A field is required on create when its properties include **Create** but neither
//! **Nillable** nor **Defaulted on create**, or its description says "Required". Fields the
//! platform fills (Id, OwnerId, audit fields) and picklists that are defaulted on create
//! (Case.Status and Origin, Task.Status and Priority, Lead.Status, Contract.Status) are not
//! listed. Where an object needs data lockgen cannot invent (a price book entry, a user, a
//! team role), the entry says so and the generators refuse it with that reason.

/// How the platform requires a standard field to be filled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StandardValue {
    /// Text of at most this many characters.
    Text(usize),
    Date,
    DateTime,
    Number,
    /// A picklist: the org's default value (or first active one), read by describe at run time,
    /// because orgs rename their values (Opportunity stages above all).
    Picklist,
    /// A picklist whose value on create is fixed by the platform (an Order starts as Draft).
    Fixed(&'static str),
    /// A reference to a record of this object.
    Reference(&'static str),
}

/// `(object, [(field, value)])`: every standard field required on create.
pub const STANDARD_REQUIRED: &[(&str, &[(&str, StandardValue)])] = &[
    ("Account", &[("Name", StandardValue::Text(255))]),
    (
        "Asset",
        &[
            ("Name", StandardValue::Text(255)),
            // "AccountId or ContactId is required": lockgen fills the account.
            ("AccountId", StandardValue::Reference("Account")),
        ],
    ),
    ("Campaign", &[("Name", StandardValue::Text(80))]),
    ("Case", &[]),
    ("Contact", &[("LastName", StandardValue::Text(80))]),
    (
        "Contract",
        &[("AccountId", StandardValue::Reference("Account"))],
    ),
    (
        "Entitlement",
        &[
            ("Name", StandardValue::Text(255)),
            ("AccountId", StandardValue::Reference("Account")),
        ],
    ),
    (
        "Event",
        &[
            ("ActivityDateTime", StandardValue::DateTime),
            ("DurationInMinutes", StandardValue::Number),
        ],
    ),
    ("Group", &[("Name", StandardValue::Text(40))]),
    (
        "Lead",
        &[
            ("LastName", StandardValue::Text(80)),
            ("Company", StandardValue::Text(255)),
        ],
    ),
    (
        "Opportunity",
        &[
            ("Name", StandardValue::Text(120)),
            ("StageName", StandardValue::Picklist),
            ("CloseDate", StandardValue::Date),
        ],
    ),
    (
        "Order",
        &[
            ("AccountId", StandardValue::Reference("Account")),
            ("EffectiveDate", StandardValue::Date),
            ("Status", StandardValue::Fixed("Draft")),
        ],
    ),
    ("Pricebook2", &[("Name", StandardValue::Text(255))]),
    ("Product2", &[("Name", StandardValue::Text(255))]),
    (
        "Quote",
        &[
            ("Name", StandardValue::Text(255)),
            ("OpportunityId", StandardValue::Reference("Opportunity")),
        ],
    ),
    ("ServiceContract", &[("Name", StandardValue::Text(255))]),
    ("Solution", &[("SolutionName", StandardValue::Text(255))]),
    ("Task", &[]),
    ("WorkOrder", &[]),
];

/// Standard objects whose records lockgen cannot create in generated code or tests, and why.
pub const STANDARD_UNSUPPORTED: &[(&str, &str)] = &[
    (
        "AccountContactRelation",
        "a contact's direct account relation is created with the contact",
    ),
    ("AccountTeamMember", "it needs a user"),
    (
        "CampaignMember",
        "it needs a lead or contact and a campaign",
    ),
    ("CaseTeamMember", "it needs a user and a case team role"),
    (
        "OpportunityContactRole",
        "it needs a contact and an opportunity",
    ),
    (
        "OpportunityLineItem",
        "it needs a price book entry, a quantity and a price",
    ),
    ("OpportunityTeamMember", "it needs a user"),
    (
        "OrderItem",
        "it needs a price book entry, a quantity and a price",
    ),
    (
        "PricebookEntry",
        "it needs the standard price book entry first",
    ),
    (
        "QuoteLineItem",
        "it needs a price book entry, a quantity and a price",
    ),
    (
        "User",
        "it needs a profile, a unique username and locale settings",
    ),
];

/// Standard objects that have no recycle bin: their records cannot be undeleted.
pub const NO_UNDELETE: &[&str] = &[
    "AccountContactRelation",
    "AccountTeamMember",
    "CaseTeamMember",
    "Group",
    "OpportunityTeamMember",
    "PricebookEntry",
    "User",
];

/// Standard relationship fields beyond the lock table (`metadata::standard::STANDARD_LOCKS`):
/// `(object, field, targets)`. Polymorphic fields list every target lockgen accepts.
pub const STANDARD_RELATIONSHIPS: &[(&str, &str, &[&str])] = &[
    ("Account", "ParentId", &["Account"]),
    ("Asset", "ContactId", &["Contact"]),
    ("Asset", "ParentId", &["Asset"]),
    ("Case", "AssetId", &["Asset"]),
    ("Case", "ParentId", &["Case"]),
    ("Contact", "ReportsToId", &["Contact"]),
    ("Entitlement", "AccountId", &["Account"]),
    (
        "Event",
        "WhatId",
        &[
            "Account",
            "Opportunity",
            "Case",
            "Campaign",
            "Contract",
            "Order",
            "Asset",
            "Quote",
        ],
    ),
    ("Event", "WhoId", &["Contact", "Lead"]),
    ("Opportunity", "CampaignId", &["Campaign"]),
    ("Opportunity", "ContactId", &["Contact"]),
    ("Order", "ContractId", &["Contract"]),
    ("Order", "OpportunityId", &["Opportunity"]),
    ("Order", "QuoteId", &["Quote"]),
    (
        "Task",
        "WhatId",
        &[
            "Account",
            "Opportunity",
            "Case",
            "Campaign",
            "Contract",
            "Order",
            "Asset",
            "Quote",
        ],
    ),
    ("Task", "WhoId", &["Contact", "Lead"]),
    ("WorkOrder", "AccountId", &["Account"]),
    ("WorkOrder", "CaseId", &["Case"]),
];

/// The standard fields required to create a record of `object`, or `None` when lockgen does
/// not know the object.
pub fn standard_required(object: &str) -> Option<&'static [(&'static str, StandardValue)]> {
    STANDARD_REQUIRED
        .iter()
        .find(|(o, _)| o.eq_ignore_ascii_case(object))
        .map(|(_, fields)| *fields)
}

/// Why lockgen cannot create records of this standard object, if it cannot.
pub fn standard_unsupported(object: &str) -> Option<&'static str> {
    STANDARD_UNSUPPORTED
        .iter()
        .find(|(o, _)| o.eq_ignore_ascii_case(object))
        .map(|(_, why)| *why)
}

/// Can records of this object be undeleted?
pub fn undeletable(object: &str) -> bool {
    !NO_UNDELETE.iter().any(|o| o.eq_ignore_ascii_case(object))
}

/// The objects a standard relationship field points at, from the lock table and the
/// relationship table; empty when lockgen does not know the field.
pub fn standard_targets(object: &str, field: &str) -> Vec<&'static str> {
    let locks = crate::metadata::standard::STANDARD_LOCKS
        .iter()
        .filter(|(c, f, _)| c.eq_ignore_ascii_case(object) && f.eq_ignore_ascii_case(field))
        .map(|(_, _, p)| *p);
    let relationships = STANDARD_RELATIONSHIPS
        .iter()
        .filter(|(c, f, _)| c.eq_ignore_ascii_case(object) && f.eq_ignore_ascii_case(field))
        .flat_map(|(_, _, targets)| targets.iter().copied());
    let mut targets: Vec<&str> = locks.chain(relationships).collect();
    targets.dedup();
    targets
}

/// Is this a standard object lockgen knows (its required fields, or its relationships)?
pub fn known_standard_object(object: &str) -> bool {
    standard_required(object).is_some()
        || standard_unsupported(object).is_some()
        || crate::metadata::standard::STANDARD_LOCKS
            .iter()
            .any(|(c, _, p)| c.eq_ignore_ascii_case(object) || p.eq_ignore_ascii_case(object))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_objects_the_issue_names() {
        let fields = |o| {
            standard_required(o)
                .unwrap()
                .iter()
                .map(|(f, _)| *f)
                .collect::<Vec<_>>()
        };
        assert_eq!(fields("Contact"), ["LastName"]);
        assert_eq!(fields("Opportunity"), ["Name", "StageName", "CloseDate"]);
        assert_eq!(fields("account"), ["Name"]);
        assert!(fields("Case").is_empty());
        assert_eq!(fields("Order"), ["AccountId", "EffectiveDate", "Status"]);
        assert!(standard_unsupported("OrderItem").is_some());
        assert!(standard_required("Widget__c").is_none());
    }

    #[test]
    fn relationships_from_both_tables() {
        assert_eq!(standard_targets("Contact", "AccountId"), ["Account"]);
        assert_eq!(standard_targets("Contact", "ReportsToId"), ["Contact"]);
        assert!(standard_targets("Contact", "Email").is_empty());
        assert!(known_standard_object("Case"));
        assert!(known_standard_object("Group"));
        assert!(!undeletable("Group"));
    }

    #[test]
    fn tables_are_sorted_and_unique() {
        for pair in STANDARD_REQUIRED.windows(2) {
            assert!(pair[0].0 < pair[1].0, "{} before {}", pair[0].0, pair[1].0);
        }
        for pair in STANDARD_UNSUPPORTED.windows(2) {
            assert!(pair[0].0 < pair[1].0, "{} before {}", pair[0].0, pair[1].0);
        }
    }
}
