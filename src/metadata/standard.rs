//! Standard-object relationships that lock the parent record when the child is written.
//!
//! Sources:
//! - Salesforce, "Record Locking Cheat Sheet" (announced at
//!   https://developer.salesforce.com/blogs/engineering/2014/07/record-locking-cheat-sheet.html):
//!   "Opportunity inserts lock the related account record"; inserting or updating a child locks
//!   the parent on the standard relationships listed there (Contact→Account, Case→Account and
//!   Contact, OpportunityLineItem→Opportunity, Order→Account, OrderItem→Order …), and
//!   AccountTeamMember, CaseTeamMember and OpportunityTeamMember inserts and deletes lock the
//!   associated Account, Case or Opportunity.
//! - Salesforce Help, "Lookup skew" / "Designing Record Access for Enterprise Scale": writes to
//!   a record lock the records it looks up to, so many children under one parent contend.
//!
//! Polymorphic relationships (Task/Event `WhatId`/`WhoId`, which the cheat sheet says lock their
//! targets and the Account under some conditions) are left out: which parent they lock depends
//! on the data, and lockgen never guesses a type.

/// `(child object, relationship field, parent object)`, all as Salesforce spells them.
pub const STANDARD_LOCKS: &[(&str, &str, &str)] = &[
    ("AccountContactRelation", "AccountId", "Account"),
    ("AccountTeamMember", "AccountId", "Account"),
    ("AccountContactRelation", "ContactId", "Contact"),
    ("Asset", "AccountId", "Account"),
    ("CampaignMember", "CampaignId", "Campaign"),
    ("Case", "AccountId", "Account"),
    ("Case", "ContactId", "Contact"),
    ("CaseTeamMember", "ParentId", "Case"),
    ("Contact", "AccountId", "Account"),
    ("Contract", "AccountId", "Account"),
    ("Opportunity", "AccountId", "Account"),
    ("OpportunityContactRole", "OpportunityId", "Opportunity"),
    ("OpportunityLineItem", "OpportunityId", "Opportunity"),
    ("OpportunityTeamMember", "OpportunityId", "Opportunity"),
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
