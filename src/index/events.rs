//! Trigger events as a small set: which events a trigger declares, which a DML statement runs,
//! and which a trigger-framework handler is mapped to.

use crate::apex::model::DmlKind;

/// A set of trigger events (`before insert` … `after undelete`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Events(u8);

const BEFORE_INSERT: u8 = 1;
const BEFORE_UPDATE: u8 = 1 << 1;
const BEFORE_DELETE: u8 = 1 << 2;
const AFTER_INSERT: u8 = 1 << 3;
const AFTER_UPDATE: u8 = 1 << 4;
const AFTER_DELETE: u8 = 1 << 5;
const AFTER_UNDELETE: u8 = 1 << 6;

/// Every event, with the spellings the platform and the frameworks use for it.
const NAMES: &[(u8, &str, &str)] = &[
    (BEFORE_INSERT, "before insert", "beforeinsert"),
    (BEFORE_UPDATE, "before update", "beforeupdate"),
    (BEFORE_DELETE, "before delete", "beforedelete"),
    (AFTER_INSERT, "after insert", "afterinsert"),
    (AFTER_UPDATE, "after update", "afterupdate"),
    (AFTER_DELETE, "after delete", "afterdelete"),
    (AFTER_UNDELETE, "after undelete", "afterundelete"),
];

impl Events {
    pub const NONE: Events = Events(0);
    pub const ALL: Events = Events(0x7f);
    pub const INSERT: Events = Events(BEFORE_INSERT | AFTER_INSERT);
    pub const UPDATE: Events = Events(BEFORE_UPDATE | AFTER_UPDATE);
    pub const DELETE: Events = Events(BEFORE_DELETE | AFTER_DELETE);
    pub const UNDELETE: Events = Events(AFTER_UNDELETE);
    pub const BEFORE: Events = Events(BEFORE_INSERT | BEFORE_UPDATE | BEFORE_DELETE);
    pub const AFTER: Events = Events(AFTER_INSERT | AFTER_UPDATE | AFTER_DELETE | AFTER_UNDELETE);

    /// One event from any spelling: `after update` (a trigger header), `AfterUpdate` (TDTM),
    /// `AFTER_UPDATE` (`System.TriggerOperation`), `After_Update__c` (Trigger Actions).
    pub fn parse(text: &str) -> Option<Events> {
        let key: String = text
            .trim()
            .trim_end_matches("__c")
            .trim_end_matches("__C")
            .chars()
            .filter(|c| c.is_ascii_alphabetic())
            .map(|c| c.to_ascii_lowercase())
            .collect();
        NAMES
            .iter()
            .find(|(_, _, compact)| *compact == key)
            .map(|(bit, _, _)| Events(*bit))
    }

    /// A `;`- or `,`-separated list (`AfterInsert;AfterUpdate`); unknown words are ignored.
    pub fn parse_list(text: &str) -> Events {
        text.split([';', ','])
            .filter_map(Events::parse)
            .fold(Events::NONE, Events::union)
    }

    /// The events a DML statement of this kind runs on the records' object.
    pub fn of_dml(kind: DmlKind) -> Events {
        match kind {
            DmlKind::Insert => Events::INSERT,
            DmlKind::Update => Events::UPDATE,
            DmlKind::Upsert => Events::INSERT.union(Events::UPDATE),
            DmlKind::Delete => Events::DELETE,
            DmlKind::Undelete => Events::UNDELETE,
            // The losing records are deleted, the master updated.
            DmlKind::Merge => Events::DELETE.union(Events::UPDATE),
        }
    }

    pub const fn union(self, other: Events) -> Events {
        Events(self.0 | other.0)
    }

    pub const fn intersect(self, other: Events) -> Events {
        Events(self.0 & other.0)
    }

    /// Every event not in this set.
    pub const fn complement(self) -> Events {
        Events(!self.0 & Events::ALL.0)
    }

    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    pub const fn intersects(self, other: Events) -> bool {
        self.0 & other.0 != 0
    }

    /// The single events in this set, in platform order, as trigger headers spell them.
    pub fn names(self) -> impl Iterator<Item = &'static str> {
        NAMES
            .iter()
            .filter(move |(bit, _, _)| self.0 & bit != 0)
            .map(|(_, name, _)| *name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_spelling_reads_the_same_event() {
        for text in [
            "after update",
            "AfterUpdate",
            "AFTER_UPDATE",
            "After_Update__c",
        ] {
            assert_eq!(Events::parse(text), Some(Events(AFTER_UPDATE)), "{text}");
        }
        assert_eq!(Events::parse("after"), None);
        let list = Events::parse_list("BeforeInsert;AfterUpdate; AfterUndelete");
        assert_eq!(
            list.names().collect::<Vec<_>>(),
            ["before insert", "after update", "after undelete"]
        );
        assert!(Events::of_dml(DmlKind::Upsert).intersects(Events::parse_list("AfterInsert")));
        assert!(!Events::of_dml(DmlKind::Insert).intersects(Events::UPDATE));
    }
}
