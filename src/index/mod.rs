//! The project index: every file's text and model, object metadata, and (built on them) the
//! symbols, call graph, method summaries and lock graph that the rules read.

pub mod deferred;
pub mod events;
pub mod facts;
pub mod flows;
pub mod frameworks;
pub mod held;
mod load;
pub mod metadata_index;
mod model_cache;
pub mod program;
pub mod scan;
pub mod symbols;
pub mod types;
pub mod typing;

use std::collections::HashMap;

use crate::apex::model::{ApexFile, TriggerDecl};
use crate::apex::{LineColumn, LineIndex, Span};
use crate::metadata::{CustomMetadataRecord, FieldMeta, ObjectMeta, TriggerStatus};
use crate::project::FileKind;

pub use load::{
    Content, LoadError, Parsed, RawFile, assemble, light, load, parse, parse_file, parse_for_lint,
    raw_file, read,
};
pub use model_cache::{Kept, ModelCache};
pub use program::Program;

/// Index of a file in [`Project::files`]; files are sorted by path, so ids are stable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FileId(pub u32);

impl FileId {
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

#[derive(Debug)]
pub struct SourceFile {
    /// Relative to the project root, `/`-separated.
    pub path: String,
    pub text: String,
    pub lines: LineIndex,
    pub kind: FileKind,
}

impl SourceFile {
    pub fn line_column(&self, offset: u32) -> LineColumn {
        self.lines.line_column(&self.text, offset)
    }
}

/// A file-level problem that is not Apex syntax: bytes that are not text, invalid XML.
#[derive(Debug, Clone)]
pub struct FileProblem {
    pub file: FileId,
    pub span: Span,
    pub message: String,
}

#[derive(Debug)]
pub struct ApexUnit {
    pub file: FileId,
    pub model: ApexFile,
}

#[derive(Debug)]
pub struct FlowUnit {
    pub file: FileId,
    pub model: crate::flow::FlowFile,
}

#[derive(Debug)]
pub struct FieldUnit {
    pub file: FileId,
    pub meta: FieldMeta,
}

#[derive(Debug)]
pub struct Project {
    /// The root as users see it.
    pub root: String,
    pub source_api_version: Option<String>,
    pub files: Vec<SourceFile>,
    /// Parsed classes and triggers, in path order.
    pub apex: Vec<ApexUnit>,
    pub fields: Vec<FieldUnit>,
    /// Object-level metadata (custom settings …), in path order.
    pub objects: Vec<ObjectMeta>,
    /// Custom metadata records (`customMetadata/*.md-meta.xml`), in path order.
    pub custom_metadata: Vec<CustomMetadataRecord>,
    /// Flows of every status, in path order.
    pub flows: Vec<FlowUnit>,
    /// Trigger status keyed by the trigger file's path without extension, lower-cased.
    pub trigger_status: HashMap<String, TriggerStatus>,
    pub file_problems: Vec<FileProblem>,
    /// Symbols, typed facts, triggers and the lock graph over everything above.
    pub program: Program,
}

/// An active or inactive trigger with where it is declared.
pub struct TriggerRef<'p> {
    pub file: FileId,
    pub decl: &'p TriggerDecl,
    pub active: bool,
    /// The file parsed without a problem: every statement in `decl` is as written.
    pub parsed_cleanly: bool,
}

impl Project {
    /// Build the whole-program index (symbols, typed facts, triggers, lock graph).
    pub fn analyse(&mut self) {
        self.drop_shadowed_copies();
        let program = Program::build(
            &self.apex,
            &self.flows,
            &self.fields,
            &self.objects,
            &self.custom_metadata,
            self.triggers().collect(),
        );
        self.program = program;
    }

    /// A copy of a class or trigger under another file name (`AccountTrigger 2.trigger`, left by
    /// a file manager) declares the same name as the real file: Salesforce deploys one type per
    /// name, named after its file, so the copy is not analysed.
    fn drop_shadowed_copies(&mut self) {
        let declared = |unit: &ApexUnit| -> Option<String> {
            match &unit.model.trigger {
                Some(trigger) => Some(trigger.name.key()),
                None => unit
                    .model
                    .types
                    .iter()
                    .find(|t| t.outer.is_none())
                    .map(|t| t.name.key()),
            }
        };
        let stem = |file: FileId| -> String {
            let path = &self.files[file.index()].path;
            let name = path.rsplit('/').next().unwrap_or(path);
            name.split('.').next().unwrap_or(name).to_ascii_lowercase()
        };
        let named_right: std::collections::HashSet<String> = self
            .apex
            .iter()
            .filter_map(|unit| declared(unit).filter(|name| *name == stem(unit.file)))
            .collect();
        if named_right.is_empty() {
            return;
        }
        let shadowed: Vec<bool> = self
            .apex
            .iter()
            .map(|unit| {
                declared(unit)
                    .is_some_and(|name| name != stem(unit.file) && named_right.contains(&name))
            })
            .collect();
        if !shadowed.contains(&true) {
            return;
        }
        let mut index = 0;
        self.apex.retain(|_| {
            let keep = !shadowed[index];
            index += 1;
            keep
        });
    }

    /// The parsed model of an Apex file, if the file is one.
    pub fn apex_unit(&self, file: FileId) -> Option<&ApexUnit> {
        // `apex` is in file order (files are loaded sorted).
        self.apex
            .binary_search_by_key(&file, |u| u.file)
            .ok()
            .map(|i| &self.apex[i])
    }

    /// `Outer.Inner.method` (or the class, or the trigger name) around a byte offset of an Apex
    /// file; `None` outside any declaration and for metadata files.
    pub fn enclosing_symbol(&self, file: FileId, offset: u32) -> Option<String> {
        let unit = self.apex_unit(file)?;
        let model = &unit.model;
        if let Some(trigger) = &model.trigger
            && trigger.span.start <= offset
            && offset < trigger.span.end
        {
            return Some(trigger.name.text.clone());
        }
        // Inner types come after their outer type, so the last match is the innermost.
        let ty = model
            .types
            .iter()
            .rfind(|t| t.span.start <= offset && offset < t.span.end)?;
        let mut names = vec![ty.name.text.clone()];
        let mut outer = ty.outer;
        while let Some(o) = outer {
            names.push(model.types[o].name.text.clone());
            outer = model.types[o].outer;
        }
        names.reverse();
        if let Some(method) = ty
            .methods
            .iter()
            .find(|m| m.span.start <= offset && offset < m.span.end)
        {
            names.push(method.name.text.clone());
        }
        Some(names.join("."))
    }

    pub fn file(&self, id: FileId) -> &SourceFile {
        &self.files[id.index()]
    }

    pub fn path(&self, id: FileId) -> &str {
        &self.file(id).path
    }

    /// `path:line:column` of a byte offset, for one-line messages.
    pub fn location(&self, file: FileId, offset: u32) -> String {
        let at = self.file(file).line_column(offset);
        format!("{}:{}:{}", self.path(file), at.line, at.column)
    }

    /// Visit every production method or trigger body whose facts pass `wanted`, with a typing
    /// scope for its locals and expressions: what the statement-level rules walk.
    pub fn for_each_typed_body(
        &self,
        wanted: impl Fn(symbols::MethodId, &facts::Facts) -> bool,
        mut visit: impl FnMut(symbols::MethodId, &[crate::apex::model::Stmt], &typing::MethodScope<'_>),
    ) {
        let program = &self.program;
        let cx = program.context(&self.apex);
        for (index, facts) in program.facts.iter().enumerate() {
            let id = symbols::MethodId(index as u32);
            // Test and install-only code never runs concurrently: no lock risk to report.
            if program.never_concurrent(id) || !wanted(id, facts) {
                continue;
            }
            let Some(body) = program.body(&self.apex, id) else {
                continue;
            };
            let scope = program.scope(&cx, id);
            visit(id, body.stmts, &scope);
        }
    }

    /// Every trigger in the project; `active` is false when its `-meta.xml` says `Inactive`
    /// or `Deleted`.
    pub fn triggers(&self) -> impl Iterator<Item = TriggerRef<'_>> {
        self.apex.iter().filter_map(|unit| {
            let decl = unit.model.trigger.as_ref()?;
            let path = self.path(unit.file);
            let stem = path.strip_suffix(".trigger").unwrap_or(path);
            let active = self
                .trigger_status
                .get(&stem.to_ascii_lowercase())
                .is_none_or(|s| s.active);
            Some(TriggerRef {
                file: unit.file,
                decl,
                active,
                parsed_cleanly: unit.model.problems.is_empty(),
            })
        })
    }
}
