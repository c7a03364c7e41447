//! `--format sarif`: SARIF 2.1.0 for GitHub code scanning and other SARIF consumers.

use std::io::{self, Write};

use serde_json::{Value, json};

use super::{Report, workspace_path};
use crate::apex::Span;
use crate::index::{FileId, Project};
use crate::rules::{Severity, registry};

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";
const INFORMATION_URI: &str = "https://github.com/lockgen/lockgen";

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

pub fn render(report: &Report<'_>, out: &mut dyn Write) -> io::Result<()> {
    let project = report.project;
    let rules: Vec<Value> = registry::metas()
        .map(|meta| {
            let docs = meta.docs();
            json!({
                "id": meta.code,
                "name": meta.name,
                "shortDescription": { "text": meta.summary() },
                "fullDescription": {
                    "text": format!("{} {}", meta.summary(), meta.section("Why it matters").unwrap_or_default().split_whitespace().collect::<Vec<_>>().join(" "))
                },
                "help": { "text": docs, "markdown": docs },
                "defaultConfiguration": { "level": level(meta.default_severity) },
                "properties": { "tags": ["salesforce", "apex", "record-locking"] }
            })
        })
        .collect();
    let index_of = |code: &str| registry::metas().position(|m| m.code == code).unwrap_or(0);
    let results: Vec<Value> = report
        .findings
        .iter()
        .zip(report.fingerprints)
        .map(|(finding, fingerprint)| {
            let mut message = finding.message.clone();
            if let Some(help) = &finding.help {
                message.push_str(". Help: ");
                message.push_str(help);
            }
            let related: Vec<Value> = finding
                .related
                .iter()
                .enumerate()
                .map(|(id, related)| {
                    json!({
                        "id": id + 1,
                        "physicalLocation": physical(project, related.file, related.span),
                        "message": { "text": related.message }
                    })
                })
                .collect();
            let mut result = json!({
                "ruleId": finding.rule.code,
                "ruleIndex": index_of(finding.rule.code),
                "level": level(finding.severity),
                "message": { "text": message },
                "locations": [{ "physicalLocation": physical(project, finding.file, finding.span) }],
                "partialFingerprints": { "lockgenFingerprint/v1": fingerprint }
            });
            if !related.is_empty() {
                result["relatedLocations"] = Value::Array(related);
            }
            result
        })
        .collect();
    let srcroot = std::env::current_dir()
        .map(|dir| file_uri(&dir.to_string_lossy()))
        .unwrap_or_else(|_| "file:///".to_string());
    let log = json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "lockgen",
                    "version": env!("CARGO_PKG_VERSION"),
                    "semanticVersion": env!("CARGO_PKG_VERSION"),
                    "informationUri": INFORMATION_URI,
                    "rules": rules
                }
            },
            "originalUriBaseIds": { "%SRCROOT%": { "uri": srcroot } },
            "columnKind": "unicodeCodePoints",
            "results": results
        }]
    });
    serde_json::to_writer_pretty(&mut *out, &log).map_err(io::Error::other)?;
    writeln!(out)
}

fn physical(project: &Project, file: FileId, span: Span) -> Value {
    let source = project.file(file);
    let start = source.line_column(span.start);
    let mut end = source.line_column(span.end);
    // An empty span still covers the character it points at.
    if end <= start {
        end = start;
        end.column += 1;
    }
    json!({
        "artifactLocation": {
            "uri": uri_path(&workspace_path(project, file)),
            "uriBaseId": "%SRCROOT%"
        },
        "region": {
            "startLine": start.line,
            "startColumn": start.column,
            "endLine": end.line,
            "endColumn": end.column
        }
    })
}

/// A relative path as a URI reference: `/` kept, everything outside the unreserved set
/// percent-encoded.
fn uri_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for byte in path.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                out.push(byte as char);
            }
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

fn file_uri(dir: &str) -> String {
    let mut uri = format!("file://{}", uri_path(dir));
    if !uri.ends_with('/') {
        uri.push('/');
    }
    uri
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_become_uri_references() {
        assert_eq!(
            uri_path("force-app/main/My Class.cls"),
            "force-app/main/My%20Class.cls"
        );
        assert_eq!(file_uri("/work/repo"), "file:///work/repo/");
    }
}
