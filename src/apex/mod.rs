//! Apex source: parsing (tree-sitter, in `parser` only), the owned model, spans.

pub(crate) mod kinds;
pub mod model;
pub mod parser;
pub mod prescan;
pub mod span;
pub mod visit;

pub use model::ApexFile;
pub use parser::parse_apex;
pub use prescan::is_test_class;
pub use span::{LineColumn, LineIndex, Span};
