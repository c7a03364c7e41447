//! Project discovery: find the root above the given paths, read `sfdx-project.json` (or detect a
//! metadata-API layout), honour `.forceignore`, and list the files lockgen reads, sorted.

mod sfdx;

use std::fs;
use std::path::{Component, Path, PathBuf};

use ignore::gitignore::{Gitignore, GitignoreBuilder};
use walkdir::WalkDir;

use crate::safe_fs;

pub use sfdx::SfdxProject;

#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum ProjectError {
    #[error("path not found: {0}")]
    #[diagnostic(
        code(lockgen::project::missing_path),
        help("pass a project root, a folder or Apex files that exist")
    )]
    MissingPath(String),

    #[error("cannot read {path}: {source}")]
    #[diagnostic(code(lockgen::project::unreadable))]
    Unreadable {
        path: String,
        #[source]
        source: std::io::Error,
    },

    #[error("{path}:{line}:{column}: malformed sfdx-project.json: {message}")]
    #[diagnostic(
        code(lockgen::project::sfdx_project),
        help(
            "sfdx-project.json must be JSON with a `packageDirectories` list of `{{\"path\": …}}`"
        )
    )]
    MalformedSfdxProject {
        path: String,
        line: usize,
        column: usize,
        message: String,
    },

    #[error("the paths belong to different projects: {first} and {second}")]
    #[diagnostic(
        code(lockgen::project::mixed_roots),
        help("lint one project at a time")
    )]
    MixedRoots { first: String, second: String },
}

/// How the project on disk is laid out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Layout {
    /// `sfdx-project.json` with its package directories.
    Source,
    /// `package.xml` (metadata API format).
    MetadataApi,
    /// Neither file was found: the given folder is scanned as it is.
    Bare,
}

/// What a file in the inventory is, by its name and place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileKind {
    ApexClass,
    ApexTrigger,
    /// `X.trigger-meta.xml`: the status of trigger `X`.
    TriggerMeta {
        trigger: String,
    },
    /// `objects/<Object>/fields/<Field>.field-meta.xml`.
    FieldMeta {
        object: String,
    },
    /// `<Object>.object`: a whole object in metadata-API format, fields inside.
    ObjectFile {
        object: String,
    },
    /// `objects/<Object>/<Object>.object-meta.xml`: the object's own settings (source format).
    ObjectMeta {
        object: String,
    },
    /// `flows/<Name>.flow-meta.xml` (source format) or `flows/<Name>.flow` (metadata API).
    Flow {
        name: String,
    },
    /// `customMetadata/<Type>.<Record>.md-meta.xml` (or `.md`): one custom metadata record.
    CustomMetadataRecord {
        /// The type without `__mdt` (`Trigger_Action`).
        type_name: String,
        /// The record's DeveloperName.
        record: String,
    },
}

#[derive(Debug, Clone)]
pub struct InventoryFile {
    /// Relative to the project root, with `/` separators.
    pub path: String,
    pub abs: PathBuf,
    pub kind: FileKind,
}

#[derive(Debug, Clone)]
pub struct Discovery {
    /// Absolute, canonical.
    pub root: PathBuf,
    /// The root as users see it: relative to the working directory where it lies below it.
    pub display_root: String,
    pub layout: Layout,
    /// Package directories, relative to the root (`.` for the root itself).
    pub package_dirs: Vec<String>,
    /// Where new source goes: the default package directory (relative to the root).
    pub default_package_dir: Option<String>,
    pub source_api_version: Option<String>,
    /// Every file lockgen reads, sorted by path.
    pub files: Vec<InventoryFile>,
    /// When paths narrower than the root were given: report only findings under these
    /// root-relative paths (files or folders).
    pub focus: Option<Vec<String>>,
    /// One-line notes for stderr (no project file found, a missing package directory …).
    pub notes: Vec<String>,
}

const SFDX_PROJECT: &str = "sfdx-project.json";
/// Why a path of the repository is not read: its target is never named.
const OUTSIDE: &str = "a symbolic link that leads outside the project; skipped";
const PACKAGE_XML: &str = "package.xml";

/// Discover the project around `paths` (the working directory when empty) and list its files.
pub fn discover(paths: &[PathBuf]) -> Result<Discovery, ProjectError> {
    let cwd = std::env::current_dir().map_err(|source| ProjectError::Unreadable {
        path: ".".to_string(),
        source,
    })?;
    let given: Vec<PathBuf> = if paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        paths.to_vec()
    };
    let mut absolute = Vec::with_capacity(given.len());
    for path in &given {
        if fs::symlink_metadata(path).is_err() {
            return Err(ProjectError::MissingPath(path.display().to_string()));
        }
        let canonical = fs::canonicalize(path).map_err(|source| ProjectError::Unreadable {
            path: path.display().to_string(),
            source,
        })?;
        absolute.push(canonical);
    }

    let mut notes = Vec::new();
    let first = &absolute[0];
    let found = find_root(first);
    for (other, shown) in absolute.iter().zip(&given).skip(1) {
        let other_root = find_root(other).map(|(root, _)| root);
        if other_root.as_ref() != found.as_ref().map(|(root, _)| root) {
            return Err(ProjectError::MixedRoots {
                first: given[0].display().to_string(),
                second: shown.display().to_string(),
            });
        }
    }

    let (root, layout) = match found {
        Some((root, layout)) => (root, layout),
        None => {
            let root = if first.is_dir() {
                first.clone()
            } else {
                first
                    .parent()
                    .map_or_else(|| first.clone(), Path::to_path_buf)
            };
            notes.push(format!(
                "no {SFDX_PROJECT} or {PACKAGE_XML} found above {}; analysing it as the project root",
                display_path(&root, &cwd)
            ));
            (root, Layout::Bare)
        }
    };

    let mut default_package_dir = None;
    let (package_dirs, source_api_version) = match layout {
        Layout::Source => {
            let sfdx = root.join(SFDX_PROJECT);
            if safe_fs::leads_outside(&root, &sfdx) {
                return Err(ProjectError::Unreadable {
                    path: SFDX_PROJECT.to_string(),
                    source: std::io::Error::other(
                        "a symbolic link that leads outside the project; not read",
                    ),
                });
            }
            let project = SfdxProject::read(&sfdx)?;
            let mut dirs = Vec::new();
            for (index, dir) in project.package_dirs.iter().enumerate() {
                if index == project.default_dir {
                    default_package_dir = normalize_relative(dir);
                }
                match normalize_relative(dir) {
                    Some(rel) if safe_fs::leads_outside(&root, &root.join(&rel)) => {
                        notes.push(format!(
                            "package directory `{dir}` in {SFDX_PROJECT} is {OUTSIDE}"
                        ));
                    }
                    Some(rel) if root.join(&rel).is_dir() => dirs.push(rel),
                    Some(rel) => notes.push(format!(
                        "package directory `{dir}` in {SFDX_PROJECT} does not exist; skipped ({})",
                        display_path(&root.join(rel), &cwd)
                    )),
                    None => notes.push(format!(
                        "package directory `{dir}` in {SFDX_PROJECT} lies outside the project; skipped"
                    )),
                }
            }
            (dirs, project.source_api_version)
        }
        Layout::MetadataApi => {
            let dir = if root.join(PACKAGE_XML).is_file() {
                ".".to_string()
            } else {
                "src".to_string()
            };
            default_package_dir = Some(dir.clone());
            (vec![dir], None)
        }
        Layout::Bare => (vec![".".to_string()], None),
    };

    let forceignore = load_forceignore(&root, &mut notes);
    let mut files = Vec::new();
    for dir in &package_dirs {
        collect_files(&root, &root.join(dir), &forceignore, &mut files, &mut notes)?;
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    files.dedup_by(|a, b| a.path == b.path);

    let focus = focus_paths(&root, &absolute);
    Ok(Discovery {
        display_root: display_path(&root, &cwd),
        root,
        layout,
        package_dirs,
        default_package_dir,
        source_api_version,
        files,
        focus,
        notes,
    })
}

/// The nearest folder at or above `start` holding `sfdx-project.json`, `package.xml`, or
/// `src/package.xml` (a metadata-API repository seen from its top).
fn find_root(start: &Path) -> Option<(PathBuf, Layout)> {
    let mut dir = if start.is_dir() {
        Some(start)
    } else {
        start.parent()
    };
    while let Some(current) = dir {
        if current.join(SFDX_PROJECT).is_file() {
            return Some((current.to_path_buf(), Layout::Source));
        }
        if current.join(PACKAGE_XML).is_file() || current.join("src").join(PACKAGE_XML).is_file() {
            return Some((current.to_path_buf(), Layout::MetadataApi));
        }
        dir = current.parent();
    }
    None
}

/// `./force-app/` → `force-app`; `.` stays `.`; a path that climbs out of the root is refused.
fn normalize_relative(dir: &str) -> Option<String> {
    // Projects written on Windows name folders with backslashes (`plugins\Logger`), and the
    // Salesforce CLI deploys them from any system: read them as separators.
    let dir = dir.trim().replace('\\', "/");
    let mut parts: Vec<String> = Vec::new();
    for component in Path::new(&dir).components() {
        match component {
            Component::CurDir => {}
            Component::Normal(part) => parts.push(part.to_string_lossy().into_owned()),
            Component::ParentDir => {
                parts.pop()?;
            }
            Component::RootDir | Component::Prefix(_) => return None,
        }
    }
    if parts.is_empty() {
        Some(".".to_string())
    } else {
        Some(parts.join("/"))
    }
}

fn display_path(path: &Path, cwd: &Path) -> String {
    match path.strip_prefix(cwd) {
        Ok(rel) if rel.as_os_str().is_empty() => ".".to_string(),
        Ok(rel) => slash_path(rel),
        Err(_) => slash_path(path),
    }
}

fn slash_path(path: &Path) -> String {
    path.components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/")
        .replace("//", "/")
}

fn relative_to_root(root: &Path, path: &Path) -> Option<String> {
    let rel = path.strip_prefix(root).ok()?;
    Some(slash_path(rel))
}

fn focus_paths(root: &Path, absolute: &[PathBuf]) -> Option<Vec<String>> {
    if absolute.iter().any(|p| p == root) {
        return None;
    }
    let mut focus: Vec<String> = absolute
        .iter()
        .filter_map(|p| relative_to_root(root, p))
        .collect();
    focus.sort();
    focus.dedup();
    Some(focus)
}

fn load_forceignore(root: &Path, notes: &mut Vec<String>) -> Gitignore {
    let path = root.join(".forceignore");
    let mut builder = GitignoreBuilder::new(root);
    if path.symlink_metadata().is_ok() {
        if safe_fs::leads_outside(root, &path) {
            notes.push(format!(".forceignore: {OUTSIDE}"));
        } else {
            match safe_fs::read_text_capped(&path, safe_fs::MAX_SETTINGS_BYTES) {
                Ok(text) => {
                    for line in text.lines() {
                        if let Err(error) = builder.add_line(Some(path.clone()), line) {
                            notes.push(format!(".forceignore: {error}"));
                        }
                    }
                }
                Err(error) => notes.push(format!(".forceignore: {error}; not read")),
            }
        }
    }
    builder.build().unwrap_or_else(|error| {
        notes.push(format!(".forceignore ignored: {error}"));
        Gitignore::empty()
    })
}

fn collect_files(
    root: &Path,
    dir: &Path,
    forceignore: &Gitignore,
    files: &mut Vec<InventoryFile>,
    notes: &mut Vec<String>,
) -> Result<(), ProjectError> {
    // A package directory that .forceignore excludes (or sits in an excluded folder) is not
    // walked at all.
    if dir != root
        && forceignore
            .matched_path_or_any_parents(dir, true)
            .is_ignore()
    {
        return Ok(());
    }
    let walker = WalkDir::new(dir)
        .follow_links(false)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|entry| {
            if entry.depth() == 0 {
                return true;
            }
            // Files are matched below, once known to be lockgen's: most are not.
            if !entry.file_type().is_dir() {
                return true;
            }
            let name = entry.file_name().to_string_lossy();
            if name.starts_with('.') || name == "node_modules" {
                return false;
            }
            // Each folder's own match is enough: an ignored folder is never entered, so no
            // entry below one is seen (matching every parent again made warm runs of large
            // orgs spend most of their time here).
            !forceignore.matched(entry.path(), true).is_ignore()
        });
    for entry in walker {
        let entry = entry.map_err(|error| {
            let path = error
                .path()
                .map_or_else(|| dir.display().to_string(), |p| p.display().to_string());
            ProjectError::Unreadable {
                path,
                source: error
                    .into_io_error()
                    .unwrap_or_else(|| std::io::Error::other("cannot walk directory")),
            }
        })?;
        if entry.file_type().is_dir() {
            continue;
        }
        let kind = classify(entry.path());
        let is_link = entry.path_is_symlink();
        // Most files are neither lockgen's nor links: skip them before any allocation.
        if kind.is_none() && !is_link {
            continue;
        }
        if forceignore.matched(entry.path(), false).is_ignore() {
            continue;
        }
        let Some(path) = relative_to_root(root, entry.path()) else {
            continue;
        };
        let mut abs = entry.path().to_path_buf();
        if is_link {
            // A link is read only when it leads to a file inside the project; its target is
            // never named. Links to folders are not followed.
            match fs::canonicalize(entry.path()) {
                Ok(real) if !real.starts_with(root) => {
                    notes.push(format!("{path}: {OUTSIDE}"));
                    continue;
                }
                Ok(real) if real.is_dir() => continue,
                Ok(real) => abs = real,
                Err(source) if kind.is_some() => {
                    return Err(ProjectError::Unreadable { path, source });
                }
                Err(_) => continue,
            }
        }
        let Some(kind) = kind else {
            continue;
        };
        // Never read FIFOs or devices, which block.
        match fs::metadata(&abs) {
            Ok(meta) if meta.is_file() => {}
            Ok(_) => {
                notes.push(format!("{path}: not a regular file; skipped"));
                continue;
            }
            Err(source) => return Err(ProjectError::Unreadable { path, source }),
        }
        files.push(InventoryFile { path, abs, kind });
    }
    Ok(())
}

/// What a file is, from its name and the folders it sits in; `None` for files lockgen skips.
fn classify(path: &Path) -> Option<FileKind> {
    let name = path.file_name()?.to_str()?;
    let lower = name.to_ascii_lowercase();
    if lower.ends_with(".cls") {
        return Some(FileKind::ApexClass);
    }
    if lower.ends_with(".trigger") {
        return Some(FileKind::ApexTrigger);
    }
    if let Some(stem) = strip_suffix_ci(name, ".trigger-meta.xml") {
        return Some(FileKind::TriggerMeta {
            trigger: stem.to_string(),
        });
    }
    if let Some(stem) = strip_suffix_ci(name, ".object") {
        return Some(FileKind::ObjectFile {
            object: stem.to_string(),
        });
    }
    if let Some(stem) = strip_suffix_ci(name, ".flow-meta.xml") {
        return Some(FileKind::Flow {
            name: stem.to_string(),
        });
    }
    if let Some(stem) = strip_suffix_ci(name, ".flow")
        && path
            .parent()
            .and_then(Path::file_name)
            .is_some_and(|dir| dir.eq_ignore_ascii_case("flows"))
    {
        return Some(FileKind::Flow {
            name: stem.to_string(),
        });
    }
    if let Some(stem) = strip_suffix_ci(name, ".object-meta.xml") {
        return Some(FileKind::ObjectMeta {
            object: stem.to_string(),
        });
    }
    let record_stem =
        strip_suffix_ci(name, ".md-meta.xml").or_else(|| strip_suffix_ci(name, ".md"));
    if let Some(stem) = record_stem
        && path
            .parent()
            .and_then(Path::file_name)
            .is_some_and(|dir| dir.eq_ignore_ascii_case("customMetadata"))
        && let Some((type_name, record)) = stem.split_once('.')
    {
        return Some(FileKind::CustomMetadataRecord {
            type_name: type_name.to_string(),
            record: record.to_string(),
        });
    }
    if strip_suffix_ci(name, ".field-meta.xml").is_some() {
        let fields_dir = path.parent()?;
        if !fields_dir.file_name()?.eq_ignore_ascii_case("fields") {
            return None;
        }
        let object_dir = fields_dir.parent()?;
        if !object_dir
            .parent()?
            .file_name()?
            .eq_ignore_ascii_case("objects")
        {
            return None;
        }
        let object = object_dir.file_name()?.to_str()?;
        return Some(FileKind::FieldMeta {
            object: object.to_string(),
        });
    }
    None
}

fn strip_suffix_ci<'a>(name: &'a str, suffix: &str) -> Option<&'a str> {
    let cut = name.len().checked_sub(suffix.len())?;
    if name.is_char_boundary(cut) && name[cut..].eq_ignore_ascii_case(suffix) && cut > 0 {
        Some(&name[..cut])
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn package_paths_are_normalised() {
        assert_eq!(
            normalize_relative("./nebula-logger/core/").as_deref(),
            Some("nebula-logger/core")
        );
        assert_eq!(normalize_relative(".").as_deref(), Some("."));
        assert_eq!(normalize_relative("../elsewhere"), None);
        assert_eq!(normalize_relative("a/../b").as_deref(), Some("b"));
        assert_eq!(
            normalize_relative("plugins\\Logger").as_deref(),
            Some("plugins/Logger")
        );
        assert_eq!(normalize_relative("..\\elsewhere"), None);
        assert_eq!(normalize_relative("\\root"), None);
    }

    #[test]
    fn files_are_classified_by_name_and_folder() {
        let field =
            Path::new("force-app/main/default/objects/Invoice__c/fields/Account__c.field-meta.xml");
        assert_eq!(
            classify(field),
            Some(FileKind::FieldMeta {
                object: "Invoice__c".to_string()
            })
        );
        assert_eq!(
            classify(Path::new("src/objects/Account.object")),
            Some(FileKind::ObjectFile {
                object: "Account".to_string()
            })
        );
        assert_eq!(
            classify(Path::new("x/A.trigger-meta.xml")),
            Some(FileKind::TriggerMeta {
                trigger: "A".to_string()
            })
        );
        assert_eq!(classify(Path::new("x/A.cls-meta.xml")), None);
        assert_eq!(
            classify(Path::new("objects/Settings__c/Settings__c.object-meta.xml")),
            Some(FileKind::ObjectMeta {
                object: "Settings__c".to_string()
            })
        );
        assert_eq!(
            classify(Path::new(
                "app/customMetadata/Trigger_Action.TA_One.md-meta.xml"
            )),
            Some(FileKind::CustomMetadataRecord {
                type_name: "Trigger_Action".to_string(),
                record: "TA_One".to_string()
            })
        );
        assert_eq!(
            classify(Path::new("src/customMetadata/Trigger_Action.TA_One.md")),
            Some(FileKind::CustomMetadataRecord {
                type_name: "Trigger_Action".to_string(),
                record: "TA_One".to_string()
            })
        );
        assert_eq!(classify(Path::new("docs/README.md")), None);
        assert_eq!(
            classify(Path::new(
                "force-app/main/default/flows/Line_Totals.flow-meta.xml"
            )),
            Some(FileKind::Flow {
                name: "Line_Totals".to_string()
            })
        );
        assert_eq!(
            classify(Path::new("src/flows/Line_Totals.flow")),
            Some(FileKind::Flow {
                name: "Line_Totals".to_string()
            })
        );
        assert_eq!(classify(Path::new("src/other/Line_Totals.flow")), None);
        assert_eq!(classify(Path::new("x/fields/A.field-meta.xml")), None);
    }
}
