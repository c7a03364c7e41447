//! Standard-object relationships that lock the parent record when the child is written.
//!
//! Sources:
//! - Salesforce, "Record Locking Cheat Sheet" (developer.salesforce.com, Architect resources):
//!   inserting or updating a child locks the parent on the standard relationships listed there
//!   (for example Contact→Account, Opportunity→Account, Case→Account, OpportunityLineItem→
//!   Opportunity, Order→Account, OrderItem→Order).
//! - Salesforce Help, "Lookup skew" / "Designing Record Access for Enterprise Scale": writes to
//!   a record lock the records it looks up to, so many children under one parent contend.
//!
//! Polymorphic relationships (Task/Event `WhatId`/`WhoId`) are left out: which parent they
//! lock depends on the data, and lockgen never guesses a type.

/// `(child object, relationship field, parent object)`, all as Salesforce spells them.
pub const STANDARD_LOCKS: &[(&str, &str, &str)] = &[
    ("AccountContactRelation", "AccountId", "Account"),
    ("AccountContactRelation", "ContactId", "Contact"),
    ("Asset", "AccountId", "Account"),
    ("CampaignMember", "CampaignId", "Campaign"),
    ("Case", "AccountId", "Account"),
    ("Case", "ContactId", "Contact"),
    ("Contact", "AccountId", "Account"),
    ("Contract", "AccountId", "Account"),
    ("Opportunity", "AccountId", "Account"),
    ("OpportunityContactRole", "OpportunityId", "Opportunity"),
    ("OpportunityLineItem", "OpportunityId", "Opportunity"),
    ("Order", "AccountId", "Account"),
    ("OrderItem", "OrderId", "Order"),
    ("Quote", "OpportunityId", "Opportunity"),
    ("QuoteLineItem", "QuoteId", "Quote"),
];

/// The standard relationship field from `child` to `parent`, if the table has one.
pub fn standard_parent_field(child: &str, parent: &str) -> Option<&'static str> {
    STANDARD_LOCKS
        .iter()
        .find(|(c, _, p)| c.eq_ignore_ascii_case(child) && p.eq_ignore_ascii_case(parent))
        .map(|(_, field, _)| *field)
}
