//! Read and parse every inventory file, in parallel, into a [`Project`].

use std::collections::HashMap;

use rayon::prelude::*;

use super::{ApexUnit, FieldUnit, FileId, FileProblem, Program, Project, SourceFile};
use crate::apex::model::{ApexFile, ApexFileKind};
use crate::apex::parser::GrammarError;
use crate::apex::{LineIndex, Span, parse_apex};
use crate::metadata::{self, FieldMeta, MetadataProblem, TriggerStatus};
use crate::project::{Discovery, FileKind, InventoryFile};

#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum LoadError {
    #[error("cannot read {path}: {source}")]
    #[diagnostic(code(lockgen::load::unreadable))]
    Unreadable {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    #[diagnostic(code(lockgen::internal::grammar))]
    Grammar(#[from] GrammarError),
}

enum Content {
    Apex(ApexFile),
    Field(FieldMeta),
    Object(Vec<FieldMeta>),
    TriggerStatus(TriggerStatus),
    Nothing,
}

struct Loaded {
    source: SourceFile,
    content: Content,
    problems: Vec<(Span, String)>,
}

/// A file's text as read from disk, before parsing.
pub struct RawFile {
    text: String,
    problems: Vec<(Span, String)>,
    /// Not text at all (NUL bytes): never parsed.
    binary: bool,
}

/// Read every inventory file, in parallel. The first unreadable file (in path order) is an
/// error; bytes that are not UTF-8 text are decoded lossily and noted.
pub fn read(discovery: &Discovery) -> Result<Vec<RawFile>, LoadError> {
    discovery.files.par_iter().map(read_file).collect()
}

/// Parse what [`read`] returned, in parallel, into a [`Project`] (without its whole-program
/// index: see [`Project::analyse`]). Bad metadata becomes a file problem (LCK000).
pub fn parse(discovery: &Discovery, raw: Vec<RawFile>) -> Result<Project, LoadError> {
    let loaded: Vec<Result<Loaded, LoadError>> = discovery
        .files
        .par_iter()
        .zip(raw.into_par_iter())
        .map(|(file, raw)| parse_file(file, raw))
        .collect();
    let mut project = Project {
        root: discovery.display_root.clone(),
        source_api_version: discovery.source_api_version.clone(),
        files: Vec::with_capacity(loaded.len()),
        apex: Vec::new(),
        fields: Vec::new(),
        trigger_status: HashMap::new(),
        file_problems: Vec::new(),
        program: Program::default(),
    };
    for (index, item) in loaded.into_iter().enumerate() {
        let item = item?;
        let file = FileId(u32::try_from(index).unwrap_or(u32::MAX));
        for (span, message) in item.problems {
            project.file_problems.push(FileProblem {
                file,
                span,
                message,
            });
        }
        match item.content {
            Content::Apex(model) => project.apex.push(ApexUnit { file, model }),
            Content::Field(meta) => project.fields.push(FieldUnit { file, meta }),
            Content::Object(fields) => project
                .fields
                .extend(fields.into_iter().map(|meta| FieldUnit { file, meta })),
            Content::TriggerStatus(status) => {
                let path = &item.source.path;
                let stem = path.strip_suffix(".trigger-meta.xml").unwrap_or(path);
                project
                    .trigger_status
                    .insert(stem.to_ascii_lowercase(), status);
            }
            Content::Nothing => {}
        }
        project.files.push(item.source);
    }
    Ok(project)
}

/// Read, parse and index a whole project.
pub fn load(discovery: &Discovery) -> Result<Project, LoadError> {
    let raw = read(discovery)?;
    let mut project = parse(discovery, raw)?;
    project.analyse();
    Ok(project)
}

fn read_file(file: &InventoryFile) -> Result<RawFile, LoadError> {
    let bytes = std::fs::read(&file.abs).map_err(|source| LoadError::Unreadable {
        path: file.path.clone(),
        source,
    })?;
    let mut problems = Vec::new();
    let (text, binary) = match decode(bytes) {
        Decoded::Text(text) => (text, false),
        Decoded::Lossy(text, bad_offset) => {
            let lines = LineIndex::new(&text);
            let line = lines.line_column(&text, bad_offset).line;
            problems.push((
                Span::new(bad_offset as usize, bad_offset as usize),
                format!("not valid UTF-8 (first bad byte on line {line}); read with replacement characters"),
            ));
            (text, false)
        }
        Decoded::Binary => {
            problems.push((
                Span::default(),
                "binary file (contains NUL bytes), not source; not analysed".to_string(),
            ));
            (String::new(), true)
        }
    };
    Ok(RawFile {
        text,
        problems,
        binary,
    })
}

fn parse_file(file: &InventoryFile, raw: RawFile) -> Result<Loaded, LoadError> {
    let RawFile {
        text,
        mut problems,
        binary,
    } = raw;
    let content = if binary {
        Content::Nothing
    } else {
        match &file.kind {
            FileKind::ApexClass => Content::Apex(parse_apex(&text, ApexFileKind::Class)?),
            FileKind::ApexTrigger => Content::Apex(parse_apex(&text, ApexFileKind::Trigger)?),
            FileKind::FieldMeta { object } => {
                let name = file.path.rsplit('/').next().unwrap_or(&file.path);
                let stem = name.strip_suffix(".field-meta.xml").unwrap_or(name);
                metadata_content(
                    metadata::parse_field_file(object, stem, &text).map(Content::Field),
                    &mut problems,
                )
            }
            FileKind::ObjectFile { object } => metadata_content(
                metadata::parse_object_file(object, &text).map(Content::Object),
                &mut problems,
            ),
            FileKind::TriggerMeta { .. } => metadata_content(
                metadata::parse_trigger_status(&text).map(Content::TriggerStatus),
                &mut problems,
            ),
        }
    };
    Ok(Loaded {
        source: source_file(file, text),
        content,
        problems,
    })
}

fn metadata_content(
    parsed: Result<Content, MetadataProblem>,
    problems: &mut Vec<(Span, String)>,
) -> Content {
    parsed.unwrap_or_else(|problem| {
        problems.push((problem.span, problem.message));
        Content::Nothing
    })
}

fn source_file(file: &InventoryFile, text: String) -> SourceFile {
    SourceFile {
        path: file.path.clone(),
        lines: LineIndex::new(&text),
        text,
        kind: file.kind.clone(),
    }
}

enum Decoded {
    Text(String),
    /// Decoded with U+FFFD replacements; the offset of the first bad byte in the new text.
    Lossy(String, u32),
    Binary,
}

fn decode(mut bytes: Vec<u8>) -> Decoded {
    if bytes.starts_with(&[0xEF, 0xBB, 0xBF]) {
        bytes.drain(..3);
    }
    if bytes.contains(&0) {
        return Decoded::Binary;
    }
    match String::from_utf8(bytes) {
        Ok(text) => Decoded::Text(text),
        Err(error) => {
            let valid_up_to = error.utf8_error().valid_up_to();
            let text = String::from_utf8_lossy(error.as_bytes()).into_owned();
            Decoded::Lossy(text, u32::try_from(valid_up_to).unwrap_or(0))
        }
    }
}
