//! Writes made through generic code: a helper that takes `List<SObject>` and updates it
//! (`DmlService.updateRecords(accounts)`), a DML wrapper whose lists a dispatcher writes later
//! (`wrapper.objectsToUpdate.addAll(contacts)`), a unit of work (`uow.registerDirty(account)`).
//! The DML itself only sees `SObject`; the records' type is known where they are handed over.
//!
//! A *sink* is a parameter, field or local whose records some DML of unknown type writes
//! (directly, or by passing them on to another sink). Records of a known type handed to a sink
//! are a write attributed to that place: the kind is the sink's, the SObject is theirs.

use std::collections::{BTreeSet, HashMap, HashSet};

use crate::apex::Span;
use crate::apex::model::DmlKind;

use super::facts::{Facts, Write};
use super::symbols::{ClassId, MethodId};
use super::typing::Root;

/// The DML kinds a sink's records are written with, as a bit set.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Kinds(u8);

const KINDS: [DmlKind; 6] = [
    DmlKind::Insert,
    DmlKind::Update,
    DmlKind::Upsert,
    DmlKind::Delete,
    DmlKind::Undelete,
    DmlKind::Merge,
];

impl Kinds {
    fn of(kind: DmlKind) -> Kinds {
        Kinds(1 << KINDS.iter().position(|k| *k == kind).unwrap_or(0))
    }

    fn iter(self) -> impl Iterator<Item = DmlKind> {
        KINDS
            .into_iter()
            .enumerate()
            .filter(move |(i, _)| self.0 & (1 << i) != 0)
            .map(|(_, k)| k)
    }
}

/// Where sinks are, across the program.
#[derive(Default)]
struct Sinks {
    params: HashMap<(MethodId, usize), Kinds>,
    fields: HashMap<(ClassId, String), Kinds>,
    locals: HashMap<(MethodId, String), Kinds>,
}

impl Sinks {
    fn get(&self, method: MethodId, root: &Root) -> Kinds {
        let found = match root {
            Root::Param(index) => self.params.get(&(method, *index)),
            Root::Field(class, name) => self.fields.get(&(*class, name.clone())),
            Root::Local(name) => self.locals.get(&(method, name.clone())),
        };
        found.copied().unwrap_or_default()
    }

    /// Add kinds to a sink; true when that changed it.
    fn add(&mut self, method: MethodId, root: &Root, kinds: Kinds) -> bool {
        if kinds.0 == 0 {
            return false;
        }
        let slot = match root {
            Root::Param(index) => self.params.entry((method, *index)).or_default(),
            Root::Field(class, name) => self.fields.entry((*class, name.clone())).or_default(),
            Root::Local(name) => self.locals.entry((method, name.clone())).or_default(),
        };
        let before = *slot;
        slot.0 |= kinds.0;
        *slot != before
    }

    /// The kinds a call writes the argument at `position` with.
    fn argument(&self, facts: &Facts, call: usize, position: usize) -> Kinds {
        facts.calls[call]
            .methods()
            .filter_map(|m| self.params.get(&(m, position)))
            .fold(Kinds::default(), |all, k| Kinds(all.0 | k.0))
    }
}

/// Containers that receive records of a known type somewhere: records taken out of them were
/// attributed where they went in, so passing the container on is not a new write.
#[derive(Default)]
struct TypedEntries {
    fields: HashSet<(ClassId, String)>,
    scoped: HashSet<(MethodId, Root)>,
}

impl TypedEntries {
    fn collect(facts: &[Facts]) -> TypedEntries {
        let mut entries = TypedEntries::default();
        for (index, method_facts) in facts.iter().enumerate() {
            let method = MethodId(index as u32);
            for registration in &method_facts.registrations {
                if registration.object.is_none() {
                    continue;
                }
                match &registration.container {
                    Root::Field(class, name) => {
                        entries.fields.insert((*class, name.clone()));
                    }
                    other => {
                        entries.scoped.insert((method, other.clone()));
                    }
                }
            }
        }
        entries
    }

    fn contains(&self, method: MethodId, root: Option<&Root>) -> bool {
        match root {
            Some(Root::Field(class, name)) => self.fields.contains(&(*class, name.clone())),
            Some(other) => self.scoped.contains(&(method, other.clone())),
            None => false,
        }
    }
}

/// Add the attributed writes to every method's facts.
pub fn attribute(facts: &mut [Facts]) {
    let mut sinks = Sinks::default();
    for (index, method_facts) in facts.iter().enumerate() {
        let method = MethodId(index as u32);
        for (root, kind, typed) in &method_facts.written_roots {
            // A typed write already names its SObject where it happens.
            if !typed {
                sinks.add(method, root, Kinds::of(*kind));
            }
        }
    }
    // Each round can only add kinds to sinks; the number of (sink, kind) pairs bounds it.
    for _ in 0..64 {
        let mut changed = false;
        for (index, method_facts) in facts.iter().enumerate() {
            let method = MethodId(index as u32);
            for argument in &method_facts.arguments {
                let Some(source) = &argument.source else {
                    continue;
                };
                let kinds = sinks.argument(method_facts, argument.call, argument.position);
                changed |= sinks.add(method, source, kinds);
            }
            for registration in &method_facts.registrations {
                let Some(source) = &registration.source else {
                    continue;
                };
                let kinds = sinks.get(method, &registration.container);
                changed |= sinks.add(method, source, kinds);
            }
        }
        if !changed {
            break;
        }
    }
    let entries = TypedEntries::collect(facts);
    for (index, method_facts) in facts.iter_mut().enumerate() {
        let method = MethodId(index as u32);
        let mut attributed: BTreeSet<(Span, DmlKind, String)> = BTreeSet::new();
        for argument in &method_facts.arguments {
            let Some(object) = &argument.object else {
                continue;
            };
            if entries.contains(method, argument.source.as_ref()) {
                continue;
            }
            let kinds = sinks.argument(method_facts, argument.call, argument.position);
            for kind in kinds.iter() {
                attributed.insert((method_facts.calls[argument.call].span, kind, object.clone()));
            }
        }
        for registration in &method_facts.registrations {
            let Some(object) = &registration.object else {
                continue;
            };
            if entries.contains(method, registration.source.as_ref()) {
                continue;
            }
            for kind in sinks.get(method, &registration.container).iter() {
                attributed.insert((registration.span, kind, object.clone()));
            }
        }
        method_facts
            .writes
            .extend(attributed.into_iter().map(|(span, kind, object)| Write {
                kind,
                object: Some(object),
                span,
                external_id: false,
                all_or_none: false,
                caught: false,
                in_catch: false,
                events: super::events::Events::ALL,
                attributed: true,
            }));
    }
}
