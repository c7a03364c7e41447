//! Flows: record-triggered, Process Builder, platform-event and scheduled flows, read from
//! `flows/*.flow-meta.xml` (source format) and `flows/*.flow` (metadata API format).

pub mod model;
pub mod parse;

pub use model::{Element, ElementKind, FlowFile, FlowStatus};
pub use parse::parse_flow;
