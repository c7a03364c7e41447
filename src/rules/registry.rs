//! Every rule, in code order, and lookup by code or name.

use super::{
    Rule, RuleMeta, async_jobs_share_lock, child_trigger_updates_parent, dml_in_loop,
    lock_error_unhandled, lookup_locks_parent, multiple_triggers, parse_error,
    queueable_without_finalizer, read_then_insert, unbounded_lock_retry,
};

/// All rules in code order. Codes are a stable contract: never renumber, never reuse.
pub static RULES: &[&dyn Rule] = &[
    &parse_error::ParseError,
    &multiple_triggers::MultipleTriggersPerObject,
    &async_jobs_share_lock::AsyncJobsShareLock,
    &lookup_locks_parent::LookupLocksParent,
    &read_then_insert::ReadThenInsert,
    &lock_error_unhandled::LockErrorUnhandled,
    &unbounded_lock_retry::UnboundedLockRetry,
    &dml_in_loop::DmlInLoop,
    &queueable_without_finalizer::QueueableWithoutFinalizer,
    &child_trigger_updates_parent::ChildTriggerUpdatesParent,
];

pub fn all() -> impl Iterator<Item = &'static dyn Rule> {
    RULES.iter().copied()
}

/// A rule by code (`LCK004`, any case) or name (`read-then-insert-without-lock`).
pub fn find(code_or_name: &str) -> Option<&'static dyn Rule> {
    let wanted = code_or_name.trim();
    all().find(|rule| {
        let meta = rule.meta();
        meta.code.eq_ignore_ascii_case(wanted) || meta.name.eq_ignore_ascii_case(wanted)
    })
}

pub fn metas() -> impl Iterator<Item = &'static RuleMeta> {
    all().map(|rule| rule.meta())
}

/// The closest known code or name, for "did you mean" help.
pub fn suggest(unknown: &str) -> Option<&'static str> {
    let unknown = unknown.to_ascii_lowercase();
    metas()
        .flat_map(|meta| [meta.code, meta.name])
        .map(|candidate| {
            (
                edit_distance(&unknown, &candidate.to_ascii_lowercase()),
                candidate,
            )
        })
        .filter(|(distance, candidate)| *distance <= candidate.len() / 3 + 1)
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, candidate)| candidate)
}

/// Levenshtein distance, for "did you mean" suggestions.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            current[j + 1] = (previous[j] + cost)
                .min(previous[j + 1] + 1)
                .min(current[j] + 1);
        }
        previous = current;
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn codes_are_unique_well_formed_and_in_order() {
        let mut seen = HashSet::new();
        let mut previous = "";
        for meta in metas() {
            assert!(
                meta.code.len() == 6
                    && meta.code.starts_with("LCK")
                    && meta.code[3..].chars().all(|c| c.is_ascii_digit()),
                "{} is not LCK + three digits",
                meta.code
            );
            assert!(seen.insert(meta.code), "duplicate code {}", meta.code);
            assert!(meta.code > previous, "{} is out of order", meta.code);
            previous = meta.code;
        }
    }

    #[test]
    fn names_are_unique_kebab_case() {
        let mut seen = HashSet::new();
        for meta in metas() {
            assert!(
                !meta.name.is_empty()
                    && meta.name.split('-').all(|w| !w.is_empty()
                        && w.chars()
                            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())),
                "{} is not kebab-case",
                meta.name
            );
            assert!(seen.insert(meta.name), "duplicate name {}", meta.name);
        }
    }

    #[test]
    fn docs_have_every_heading_in_order() {
        let headings = [
            "## What it does",
            "## Why it matters",
            "## Example",
            "## Fix",
            "## References",
        ];
        for meta in metas() {
            let docs = meta.docs();
            let mut at = 0;
            for heading in headings {
                let found = docs[at..]
                    .find(&format!("{heading}\n"))
                    .unwrap_or_else(|| panic!("{}: docs lack `{heading}` (in order)", meta.code));
                at += found + heading.len();
            }
            assert!(!meta.summary().is_empty(), "{}: empty summary", meta.code);
        }
    }

    #[test]
    fn lookup_by_code_name_and_suggestion() {
        assert_eq!(find("lck001").map(|r| r.meta().code), Some("LCK001"));
        assert_eq!(find("dml-in-loop").map(|r| r.meta().code), Some("LCK007"));
        assert!(find("LCK999").is_none());
        assert_eq!(suggest("LCK07"), Some("LCK007"));
        assert_eq!(suggest("dml-in-loops"), Some("dml-in-loop"));
    }
}
