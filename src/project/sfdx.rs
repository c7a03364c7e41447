//! `sfdx-project.json`: the package directories to scan and the source API version.

use std::path::Path;

use serde::Deserialize;

use super::ProjectError;

#[derive(Debug, Clone)]
pub struct SfdxProject {
    pub package_dirs: Vec<String>,
    /// Index into `package_dirs` of the one marked `"default": true` (else the first).
    pub default_dir: usize,
    pub source_api_version: Option<String>,
}

#[derive(Deserialize)]
struct RawProject {
    #[serde(rename = "packageDirectories")]
    package_directories: Option<Vec<RawPackageDirectory>>,
    #[serde(rename = "sourceApiVersion")]
    source_api_version: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct RawPackageDirectory {
    path: String,
    #[serde(default)]
    default: bool,
}

impl SfdxProject {
    pub fn read(path: &Path) -> Result<SfdxProject, ProjectError> {
        let shown = path.display().to_string();
        let bytes =
            crate::safe_fs::read_capped(path, crate::safe_fs::MAX_SETTINGS_BYTES).map_err(|e| {
                ProjectError::Unreadable {
                    path: shown.clone(),
                    source: e.into(),
                }
            })?;
        let malformed =
            |line: usize, column: usize, message: String| ProjectError::MalformedSfdxProject {
                path: shown.clone(),
                line,
                column,
                message,
            };
        let raw: RawProject = serde_json::from_slice(&bytes)
            .map_err(|e| malformed(e.line(), e.column(), without_position(&e.to_string())))?;
        let dirs = raw
            .package_directories
            .ok_or_else(|| malformed(1, 1, "no `packageDirectories` list".to_string()))?;
        if dirs.is_empty() {
            return Err(malformed(1, 1, "`packageDirectories` is empty".to_string()));
        }
        let source_api_version = match raw.source_api_version {
            Some(serde_json::Value::String(v)) => Some(v),
            Some(serde_json::Value::Number(n)) => Some(n.to_string()),
            _ => None,
        };
        Ok(SfdxProject {
            default_dir: dirs.iter().position(|d| d.default).unwrap_or(0),
            package_dirs: dirs.into_iter().map(|d| d.path).collect(),
            source_api_version,
        })
    }
}

/// serde_json ends its messages with " at line L column C", which the error already shows.
fn without_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(cut) => message[..cut].to_string(),
        None => message.to_string(),
    }
}
