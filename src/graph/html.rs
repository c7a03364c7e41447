//! `--format html`: one self-contained page. It carries the graph (the JSON document), every
//! object's neighbourhood, its own script and style, and Cytoscape.js (vendored from npm,
//! compiled in): it opens from disk and makes no network request (its Content Security
//! Policy forbids any). Text from the project reaches the page only inside the JSON block,
//! escaped so that it cannot end it, and the script sets it with `textContent`.

use std::io::{self, Write};

use serde::Serialize;

use super::json;
use super::model::Graph;
use super::view;

const PAGE: &str = include_str!("html/page.html");
const STYLE: &str = include_str!("html/page.css");
const SCRIPT: &str = include_str!("html/page.js");

/// The graph drawing library: `dist/cytoscape.min.js` of the npm package, byte for byte.
pub const CYTOSCAPE: &str = include_str!("../../vendor/cytoscape/cytoscape.min.js");
pub const CYTOSCAPE_LICENSE: &str = include_str!("../../vendor/cytoscape/LICENSE");
pub const CYTOSCAPE_VERSION: &str = "3.34.4";

#[derive(Serialize)]
struct PageData<'g> {
    graph: json::Document<'g>,
    depth: usize,
    /// By object index: its neighbourhood's objects, writers and edges (indices).
    neighbourhoods: Vec<Neighbourhood>,
}

#[derive(Serialize)]
struct Neighbourhood {
    objects: Vec<usize>,
    writers: Vec<usize>,
    edges: Vec<usize>,
    cut: Vec<usize>,
}

pub fn render(graph: &Graph, depth: usize, out: &mut dyn Write) -> io::Result<()> {
    let data = PageData {
        graph: json::document(graph),
        depth,
        neighbourhoods: view::all_neighbourhoods(graph, depth)
            .into_iter()
            .map(|s| Neighbourhood {
                objects: s.objects.into_iter().collect(),
                writers: s.writers.into_iter().collect(),
                edges: s.edges.into_iter().collect(),
                cut: s.cut.into_iter().collect(),
            })
            .collect(),
    };
    let data = script_json(&serde_json::to_string(&data).map_err(io::Error::other)?);
    let title = match &graph.focus {
        Some(focus) => format!("{} \u{2014} what a save runs and locks", focus.object),
        None => format!("{} \u{2014} lock graph", graph.root),
    };
    let page = fill(PAGE, |name| match name {
        "version" => Some(env!("CARGO_PKG_VERSION").to_string()),
        "title" => Some(html_text(&title)),
        "heading" => Some(html_text(&format!("lockgen \u{b7} {title}"))),
        "style" => Some(STYLE.to_string()),
        "data" => Some(data.clone()),
        "cytoscape" => Some(CYTOSCAPE.to_string()),
        "cytoscape_version" => Some(CYTOSCAPE_VERSION.to_string()),
        "cytoscape_license" => Some(html_text(CYTOSCAPE_LICENSE)),
        "script" => Some(SCRIPT.to_string()),
        _ => None,
    });
    out.write_all(page.as_bytes())
}

/// Replace each `{{name}}` of the template, in one pass: what is put in is never scanned again.
fn fill(template: &str, value: impl Fn(&str) -> Option<String>) -> String {
    let mut out = String::with_capacity(template.len() + CYTOSCAPE.len());
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        match after
            .find("}}")
            .and_then(|end| Some((end, value(&after[..end])?)))
        {
            Some((end, text)) => {
                out.push_str(&text);
                rest = &after[end + 2..];
            }
            None => {
                out.push_str("{{");
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// JSON that can sit inside a `<script>` element: no `<`, `>` or `&` (so no `</script>` or
/// `<!--`), and no U+2028/U+2029. They only occur inside JSON strings, where `\u` escapes
/// mean the same.
pub fn script_json(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out
}

/// Text for HTML element content.
fn html_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            c if c.is_control() && c != '\n' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_code_cannot_end_its_script_element() {
        for code in [CYTOSCAPE, SCRIPT] {
            let lower = code.to_ascii_lowercase();
            assert!(
                !lower.contains("</script"),
                "an embedded script contains </script"
            );
            assert!(!lower.contains("<!--"), "an embedded script contains <!--");
        }
        assert!(!STYLE.to_ascii_lowercase().contains("</style"));
    }

    #[test]
    fn json_in_a_script_element() {
        let text = script_json(r#"{"name":"</script><!--&\u2028"}"#);
        assert!(!text.contains('<') && !text.contains('>') && !text.contains('&'));
        let back: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
        assert_eq!(back["name"], "</script><!--&\u{2028}");
    }

    #[test]
    fn placeholders_are_filled_once() {
        let filled = fill("a {{x}} b {{y}} {{unknown}}", |name| match name {
            "x" => Some("{{y}}".to_string()),
            "y" => Some("Y".to_string()),
            _ => None,
        });
        assert_eq!(filled, "a {{y}} b Y {{unknown}}");
    }
}
