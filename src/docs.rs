//! `lockgen rules` and `lockgen explain`, produced from the rule docs in the code.

use std::io::Write;

use crate::cli::RulesFormat;
use crate::error::Error;
use crate::rules::registry;

pub fn rules(format: RulesFormat, out: &mut dyn Write) -> Result<(), Error> {
    let text = match format {
        RulesFormat::Human => human_table(),
        RulesFormat::Markdown => markdown_table(),
        RulesFormat::Json => json_catalogue(),
    };
    write_all(out, &text)
}

pub fn explain(rule: &str, out: &mut dyn Write) -> Result<(), Error> {
    let Some(found) = registry::find(rule) else {
        return Err(Error::UnknownRule {
            given: rule.to_string(),
            suggestion: registry::suggest(rule),
        });
    };
    let meta = found.meta();
    let text = format!(
        "# {} {}\n\nDefault severity: {} · since {}\n\n{}",
        meta.code,
        meta.name,
        meta.default_severity.as_str(),
        meta.since,
        meta.docs()
    );
    write_all(out, &text)
}

fn write_all(out: &mut dyn Write, text: &str) -> Result<(), Error> {
    match out.write_all(text.as_bytes()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(Error::Output(e)),
        _ => Ok(()),
    }
}

fn human_table() -> String {
    let mut text = String::new();
    for meta in registry::metas() {
        text.push_str(&format!(
            "{}  {:<32} {:<8} {:<6} {}\n",
            meta.code,
            meta.name,
            meta.default_severity.as_str(),
            if meta.sees_flows() { "+flows" } else { "" },
            meta.summary()
        ));
    }
    text
}

/// The README's rule table (between `<!-- rules:start -->` and `<!-- rules:end -->`).
pub fn markdown_table() -> String {
    let mut text =
        String::from("| code | name | default | flows | what it flags |\n|---|---|---|---|---|\n");
    for meta in registry::metas() {
        text.push_str(&format!(
            "| {} | `{}` | {} | {} | {} |\n",
            meta.code,
            meta.name,
            meta.default_severity.as_str(),
            if meta.sees_flows() { "yes" } else { "" },
            meta.summary().replace('|', "\\|")
        ));
    }
    text
}

fn json_catalogue() -> String {
    let rules: Vec<serde_json::Value> = registry::metas()
        .map(|meta| {
            serde_json::json!({
                "code": meta.code,
                "name": meta.name,
                "default_severity": meta.default_severity.as_str(),
                "since": meta.since,
                "flows": meta.sees_flows(),
                "summary": meta.summary(),
            })
        })
        .collect();
    let mut text = serde_json::to_string_pretty(&rules).unwrap_or_else(|_| "[]".to_string());
    text.push('\n');
    text
}
