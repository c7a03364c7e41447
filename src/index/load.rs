//! Read and parse every inventory file, in parallel, into a [`Project`]; parse results come
//! from the on-disk cache when a file's content is unchanged.

use std::collections::HashMap;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::ModelCache;
use super::{ApexUnit, FieldUnit, FileId, FileProblem, Program, Project, SourceFile};
use crate::apex::model::{ApexFile, ApexFileKind};
use crate::apex::parser::GrammarError;
use crate::apex::{LineIndex, Span, parse_apex};
use crate::metadata::{
    self, CustomMetadataRecord, FieldMeta, MetadataProblem, ObjectMeta, TriggerStatus,
};
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

/// What a file holds once parsed.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum Content {
    Apex(ApexFile),
    Field(FieldMeta),
    /// A metadata-API `.object` file: the object and its fields.
    Object(ObjectMeta, Vec<FieldMeta>),
    ObjectMeta(ObjectMeta),
    CustomMetadata(CustomMetadataRecord),
    TriggerStatus(TriggerStatus),
    Nothing,
}

/// The parse result of one file: what the cache stores.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Parsed {
    pub content: Content,
    /// Metadata that is not what it should be (invalid XML …).
    pub problems: Vec<(Span, String)>,
}

/// A file's text as read from disk, before parsing.
#[derive(Clone)]
pub struct RawFile {
    text: String,
    /// Bytes that are not text: noted at read time.
    problems: Vec<(Span, String)>,
    /// Not text at all (NUL bytes): never parsed.
    binary: bool,
    /// BLAKE3 (128 bits) of the bytes on disk: the cache key, which no crafted file can share
    /// with another.
    pub hash: u128,
}

/// Read every inventory file, in parallel. The first unreadable file (in path order) is an
/// error; bytes that are not UTF-8 text are decoded lossily and noted.
pub fn read(discovery: &Discovery) -> Result<Vec<RawFile>, LoadError> {
    discovery.files.par_iter().map(read_file).collect()
}

/// Parse what [`read`] returned, in parallel, into a [`Project`] (without its whole-program
/// index: see [`Project::analyse`]). Unchanged files come from `cache`, which is then
/// rewritten if anything changed.
pub fn parse(
    discovery: &Discovery,
    raw: Vec<RawFile>,
    cache: &mut ModelCache<'_>,
) -> Result<Project, LoadError> {
    let cached: Vec<Option<Parsed>> = discovery
        .files
        .iter()
        .zip(&raw)
        .map(|(file, raw)| cache.take(&file.path, raw.hash))
        .collect();
    let changed = cached.iter().any(Option::is_none) || cache.has_leftovers();
    let parsed: Vec<Parsed> = discovery
        .files
        .par_iter()
        .zip(raw.par_iter())
        .zip(cached.into_par_iter())
        .map(|((file, raw), cached)| match cached {
            Some(parsed) => Ok(parsed),
            None => parse_file(file, raw),
        })
        .collect::<Result<_, _>>()?;
    if changed && cache.enabled() {
        let entries: Vec<(&str, u128, &Parsed)> = discovery
            .files
            .iter()
            .zip(&raw)
            .zip(&parsed)
            .map(|((file, raw), parsed)| (file.path.as_str(), raw.hash, parsed))
            .collect();
        cache.save(&entries);
    }
    Ok(assemble(discovery, raw, parsed))
}

/// Put a project together from every inventory file's text and parse result, in inventory
/// order (without its whole-program index: see [`Project::analyse`]).
pub fn assemble(discovery: &Discovery, raw: Vec<RawFile>, parsed: Vec<Parsed>) -> Project {
    let mut project = light(discovery, raw);
    for (index, parsed) in parsed.into_iter().enumerate() {
        let file = FileId(u32::try_from(index).unwrap_or(u32::MAX));
        for (span, message) in parsed.problems {
            project.file_problems.push(FileProblem {
                file,
                span,
                message,
            });
        }
        match parsed.content {
            Content::Apex(model) => project.apex.push(ApexUnit { file, model }),
            Content::Field(meta) => project.fields.push(FieldUnit { file, meta }),
            Content::Object(object, fields) => {
                project.objects.push(object);
                project
                    .fields
                    .extend(fields.into_iter().map(|meta| FieldUnit { file, meta }));
            }
            Content::ObjectMeta(object) => project.objects.push(object),
            Content::CustomMetadata(record) => project.custom_metadata.push(record),
            Content::TriggerStatus(status) => {
                let path = &project.files[index].path;
                let stem = path.strip_suffix(".trigger-meta.xml").unwrap_or(path);
                project
                    .trigger_status
                    .insert(stem.to_ascii_lowercase(), status);
            }
            Content::Nothing => {}
        }
    }
    project.file_problems.sort_by_key(|p| (p.file, p.span));
    project
}

/// A project of files only (no models, no index): enough to report cached findings.
pub fn light(discovery: &Discovery, raw: Vec<RawFile>) -> Project {
    let mut project = Project {
        root: discovery.display_root.clone(),
        source_api_version: discovery.source_api_version.clone(),
        files: Vec::with_capacity(raw.len()),
        apex: Vec::new(),
        fields: Vec::new(),
        objects: Vec::new(),
        custom_metadata: Vec::new(),
        trigger_status: HashMap::new(),
        file_problems: Vec::new(),
        program: Program::default(),
    };
    for (index, (file, raw)) in discovery.files.iter().zip(raw).enumerate() {
        let id = FileId(u32::try_from(index).unwrap_or(u32::MAX));
        for (span, message) in raw.problems {
            project.file_problems.push(FileProblem {
                file: id,
                span,
                message,
            });
        }
        project.files.push(SourceFile {
            path: file.path.clone(),
            lines: LineIndex::new(&raw.text),
            text: raw.text,
            kind: file.kind.clone(),
        });
    }
    project
}

/// Read, parse and index a whole project, without the cache.
pub fn load(discovery: &Discovery) -> Result<Project, LoadError> {
    let raw = read(discovery)?;
    let mut project = parse(discovery, raw, &mut ModelCache::disabled())?;
    project.analyse();
    Ok(project)
}

fn read_file(file: &InventoryFile) -> Result<RawFile, LoadError> {
    let bytes = crate::safe_fs::read_capped(&file.abs, crate::safe_fs::MAX_INPUT_BYTES).map_err(
        |error| LoadError::Unreadable {
            path: file.path.clone(),
            source: error.into(),
        },
    )?;
    Ok(raw_file(bytes))
}

/// A file's bytes as [`read`] returns them: decoded, hashed, problems noted. The language
/// server passes an open document's unsaved text this way.
pub fn raw_file(bytes: Vec<u8>) -> RawFile {
    let digest = blake3::hash(&bytes);
    let hash = u128::from_le_bytes(digest.as_bytes()[..16].try_into().unwrap_or_default());
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
    RawFile {
        text,
        problems,
        binary,
        hash,
    }
}

/// Parse one file's text by its kind: what the cache stores for it.
pub fn parse_file(file: &InventoryFile, raw: &RawFile) -> Result<Parsed, LoadError> {
    let text = &raw.text;
    let mut problems = Vec::new();
    let content = if raw.binary {
        Content::Nothing
    } else {
        match &file.kind {
            FileKind::ApexClass => Content::Apex(parse_apex(text, ApexFileKind::Class)?),
            FileKind::ApexTrigger => Content::Apex(parse_apex(text, ApexFileKind::Trigger)?),
            FileKind::FieldMeta { object } => {
                let name = file.path.rsplit('/').next().unwrap_or(&file.path);
                let stem = name.strip_suffix(".field-meta.xml").unwrap_or(name);
                metadata_content(
                    metadata::parse_field_file(object, stem, text).map(Content::Field),
                    &mut problems,
                )
            }
            FileKind::ObjectFile { object } => metadata_content(
                metadata::parse_object_file(object, text)
                    .map(|(object, fields)| Content::Object(object, fields)),
                &mut problems,
            ),
            FileKind::ObjectMeta { object } => metadata_content(
                metadata::parse_object_meta_file(object, text).map(Content::ObjectMeta),
                &mut problems,
            ),
            FileKind::CustomMetadataRecord { type_name, record } => metadata_content(
                metadata::parse_custom_metadata_record(type_name, record, text)
                    .map(Content::CustomMetadata),
                &mut problems,
            ),
            FileKind::TriggerMeta { .. } => metadata_content(
                metadata::parse_trigger_status(text).map(Content::TriggerStatus),
                &mut problems,
            ),
        }
    };
    Ok(Parsed { content, problems })
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
