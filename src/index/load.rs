//! Read and parse every inventory file, in parallel, into a [`Project`]; parse results come
//! from the on-disk cache when a file's content is unchanged.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::ModelCache;
use super::model_cache::Kept;
use super::{ApexUnit, FieldUnit, FileId, FileProblem, FlowUnit, Program, Project, SourceFile};
use crate::apex::model::{ApexFile, ApexFileKind};
use crate::apex::parser::GrammarError;
use crate::apex::{LineIndex, Span, is_test_class, parse_apex};
use crate::flow::FlowFile;
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
    Flow(FlowFile),
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

impl Parsed {
    /// A file that holds nothing to analyse (or is not analysed: a skipped test class).
    fn nothing() -> Parsed {
        Parsed {
            content: Content::Nothing,
            problems: Vec::new(),
        }
    }
}

impl Default for Parsed {
    fn default() -> Parsed {
        Parsed::nothing()
    }
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
    /// A class file that declares a top-level `@IsTest` class (a lexical pre-scan, see
    /// `apex::prescan`): `lint` does not parse it.
    pub test_class: bool,
}

impl RawFile {
    /// The decoded text's length in bytes.
    pub fn len(&self) -> usize {
        self.text.len()
    }

    pub fn is_empty(&self) -> bool {
        self.text.is_empty()
    }
}

/// Read every inventory file, in parallel. The first unreadable file (in path order) is an
/// error; bytes that are not UTF-8 text are decoded lossily and noted.
pub fn read(discovery: &Discovery) -> Result<Vec<RawFile>, LoadError> {
    discovery.files.par_iter().map(read_file).collect()
}

/// Parse what [`read`] returned, in parallel, into a [`Project`] (without its whole-program
/// index: see [`Project::analyse`]), as `lint` reads it: test classes (a top-level `@IsTest`
/// class, found by a lexical pre-scan) are not parsed, since no rule reads them. Unchanged
/// files come from `cache`, which then keeps what changed.
pub fn parse(
    discovery: &Discovery,
    raw: Vec<RawFile>,
    cache: &mut ModelCache<'_>,
) -> Result<Project, LoadError> {
    parse_files(discovery, raw, cache, TestClasses::Skip)
}

/// Whether test classes are parsed: `lint` skips them; the generator's checks read them.
#[derive(Clone, Copy, PartialEq, Eq)]
enum TestClasses {
    Skip,
    Parse,
}

fn parse_files(
    discovery: &Discovery,
    raw: Vec<RawFile>,
    cache: &mut ModelCache<'_>,
    tests: TestClasses,
) -> Result<Project, LoadError> {
    let skipped = |raw: &RawFile| tests == TestClasses::Skip && raw.test_class;
    let cached: &ModelCache<'_> = cache;
    let mut parsed: Vec<Option<Parsed>> = discovery
        .files
        .par_iter()
        .zip(raw.par_iter())
        .map(|(file, raw)| {
            if skipped(raw) {
                Some(Parsed::nothing())
            } else {
                cached.get(&file.path, raw.hash)
            }
        })
        .collect();
    let todo: Vec<usize> = (0..parsed.len()).filter(|i| parsed[*i].is_none()).collect();
    for (index, result) in parse_largest_first(discovery, &raw, &todo) {
        parsed[index] = Some(result?);
    }
    let parsed: Vec<Parsed> = parsed.into_iter().map(Option::unwrap_or_default).collect();
    if cache.enabled() {
        let mut fresh = vec![false; parsed.len()];
        for index in &todo {
            fresh[*index] = true;
        }
        let kept: Vec<Kept<'_>> = discovery
            .files
            .iter()
            .zip(&raw)
            .zip(&parsed)
            .zip(fresh)
            .filter(|(((_, raw), _), _)| !skipped(raw))
            .map(|(((file, raw), parsed), fresh)| Kept {
                path: &file.path,
                hash: raw.hash,
                parsed,
                fresh,
            })
            .collect();
        cache.save(&kept);
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
            Content::Flow(model) => project.flows.push(FlowUnit { file, model }),
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

/// Parse the files at `todo` (indices into the inventory), in parallel, largest first: each
/// worker takes the largest file no one has started, so the run does not end waiting on one
/// big file that started last. Workers share nothing but that counter (each keeps its own
/// parser and results); results come back in no particular order.
fn parse_largest_first(
    discovery: &Discovery,
    raw: &[RawFile],
    todo: &[usize],
) -> Vec<(usize, Result<Parsed, LoadError>)> {
    let mut order = todo.to_vec();
    order.sort_by_key(|i| std::cmp::Reverse(raw[*i].text.len()));
    if order.len() < 2 {
        return order
            .into_iter()
            .map(|i| (i, parse_file(&discovery.files[i], &raw[i])))
            .collect();
    }
    let next = AtomicUsize::new(0);
    let mut results: Vec<(usize, Result<Parsed, LoadError>)> = rayon::broadcast(|_| {
        let mut mine = Vec::new();
        while let Some(i) = order.get(next.fetch_add(1, Ordering::Relaxed)) {
            mine.push((*i, parse_file(&discovery.files[*i], &raw[*i])));
        }
        mine
    })
    .into_iter()
    .flatten()
    .collect();
    // The first error in path order, as before.
    results.sort_by_key(|(i, _)| *i);
    results
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
        flows: Vec::new(),
        trigger_status: HashMap::new(),
        file_problems: Vec::new(),
        program: Program::default(),
    };
    // Line indexes on every core: a warm run does little else.
    let files: Vec<(SourceFile, Vec<(Span, String)>)> = discovery
        .files
        .par_iter()
        .zip(raw)
        .map(|(file, raw)| {
            let source = SourceFile {
                path: file.path.clone(),
                lines: LineIndex::new(&raw.text),
                text: raw.text,
                kind: file.kind.clone(),
            };
            (source, raw.problems)
        })
        .collect();
    for (index, (source, problems)) in files.into_iter().enumerate() {
        let id = FileId(u32::try_from(index).unwrap_or(u32::MAX));
        for (span, message) in problems {
            project.file_problems.push(FileProblem {
                file: id,
                span,
                message,
            });
        }
        project.files.push(source);
    }
    project
}

/// Read, parse and index a whole project, test classes included (the generator's checks read
/// them), without the cache.
pub fn load(discovery: &Discovery) -> Result<Project, LoadError> {
    let raw = read(discovery)?;
    let mut project = parse_files(
        discovery,
        raw,
        &mut ModelCache::disabled(),
        TestClasses::Parse,
    )?;
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
    Ok(raw_file(&file.kind, bytes))
}

/// A file's bytes as [`read`] returns them: decoded, hashed, problems noted, a test class
/// recognised. The language server passes an open document's unsaved text this way.
pub fn raw_file(kind: &FileKind, bytes: Vec<u8>) -> RawFile {
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
    let test_class = !binary && *kind == FileKind::ApexClass && is_test_class(&text);
    RawFile {
        text,
        problems,
        binary,
        hash,
        test_class,
    }
}

/// Parse one file as `lint` reads it: a test class is not parsed (see [`parse`]).
pub fn parse_for_lint(file: &InventoryFile, raw: &RawFile) -> Result<Parsed, LoadError> {
    if raw.test_class {
        return Ok(Parsed::nothing());
    }
    parse_file(file, raw)
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
            FileKind::Flow { name } => metadata_content(
                crate::flow::parse_flow(name, text).map(Content::Flow),
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
