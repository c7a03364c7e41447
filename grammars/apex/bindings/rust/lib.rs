//! lockgen's Apex grammar: tree-sitter-sfapex 3.0.1's `apex` grammar, vendored in
//! `grammars/apex/` and generated with tree-sitter-cli 0.25.10 (see `UPSTREAM.md`).
//!
//! The C entry point is renamed at compile time (`build.rs`) so that this grammar and the
//! upstream crate can be linked into one test binary and compared.

use tree_sitter_language::LanguageFn;

unsafe extern "C" {
    fn tree_sitter_lockgen_apex() -> *const ();
}

/// The tree-sitter language (ABI 15).
// SAFETY: `tree_sitter_lockgen_apex` is the generated parser's entry point; it returns a
// pointer to a static `TSLanguage`.
pub const LANGUAGE: LanguageFn = unsafe { LanguageFn::from_raw(tree_sitter_lockgen_apex) };

/// The generator's description of every node kind and field.
pub const NODE_TYPES: &str = include_str!("../../src/node-types.json");
