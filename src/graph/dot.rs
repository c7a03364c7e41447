//! `--format dot`: Graphviz, for `dot -Tsvg` (or `-Tpng`), which renders it without a warning.
//!
//! Ids are generated (`o3`, `w7`); labels are quoted with `\` and `"` escaped and written in
//! ASCII, anything else as an HTML entity (`&#183;`), which Graphviz decodes. Groups
//! (package directories, namespaces, standard objects) are clusters.

use std::fmt::Write as _;
use std::io::{self, Write};

use super::model::{EdgeKind, FindingRef, Graph, NodeRef, describe_events, describe_reason};
use super::writers::WriterKind;

pub fn render(graph: &Graph, out: &mut dyn Write) -> io::Result<()> {
    out.write_all(text(graph).as_bytes())
}

pub fn text(graph: &Graph) -> String {
    let mut text = String::new();
    let title = match &graph.focus {
        Some(focus) => format!(
            "What a save of {} runs and locks (depth {}) - {}",
            focus.object, focus.depth, graph.root
        ),
        None => format!("The lock graph of {}", graph.root),
    };
    let _ = writeln!(
        text,
        "// {}, drawn by lockgen {}",
        comment(&title),
        env!("CARGO_PKG_VERSION")
    );
    text.push_str("digraph lockgen {\n");
    let _ = writeln!(
        text,
        "  graph [rankdir=LR, newrank=true, nodesep=0.25, ranksep=0.7, fontname=\"Helvetica\", fontsize=12, labelloc=t, label={}];",
        quote(&title)
    );
    text.push_str("  node [fontname=\"Helvetica\", fontsize=10, style=filled, penwidth=1];\n");
    text.push_str("  edge [fontname=\"Helvetica\", fontsize=9];\n");
    let groups = graph.groups();
    let grouped = groups.len() > 1;
    for (index, (group, nodes)) in groups.iter().enumerate() {
        if grouped {
            let _ = writeln!(text, "  subgraph cluster_{index} {{");
            let _ = writeln!(
                text,
                "    label={}; style=\"rounded,dashed\"; color=\"#9e9e9e\"; fontsize=11;",
                quote(&group.label())
            );
        }
        let indent = if grouped { "    " } else { "  " };
        for node in nodes {
            let _ = writeln!(text, "{indent}{}", node_line(graph, *node));
        }
        if grouped {
            text.push_str("  }\n");
        }
    }
    for edge in &graph.edges {
        let from = id(edge.from);
        let to = id(edge.to);
        let _ = match &edge.kind {
            EdgeKind::Writes { dml } => {
                let kinds: Vec<&str> = dml.iter().map(|k| k.keyword()).collect();
                writeln!(
                    text,
                    "  {from} -> {to} [label={}, color=\"#37474f\"];",
                    quote(&kinds.join(", "))
                )
            }
            EdgeKind::Runs { events, via } => {
                let mut shown = describe_events(*events);
                if let Some(via) = via {
                    shown = format!("{via}: {shown}");
                }
                writeln!(
                    text,
                    "  {from} -> {to} [label={}, style=dashed, color=\"#2e7d32\", fontcolor=\"#2e7d32\"];",
                    quote(&shown)
                )
            }
            EdgeKind::Locks { field, reason, .. } => writeln!(
                text,
                "  {from} -> {to} [label={}, color=\"#c62828\", fontcolor=\"#c62828\", penwidth=2];",
                quote(&format!(
                    "locks via {field} \u{b7} {}",
                    describe_reason(*reason)
                ))
            ),
        };
    }
    text.push_str("}\n");
    text
}

fn id(node: NodeRef) -> String {
    match node {
        NodeRef::Object(i) => format!("o{i}"),
        NodeRef::Writer(i) => format!("w{i}"),
    }
}

fn node_line(graph: &Graph, node: NodeRef) -> String {
    match node {
        NodeRef::Object(i) => {
            let object = &graph.objects[i];
            let focused = graph
                .focus
                .as_ref()
                .is_some_and(|f| f.object == object.name);
            let mut label = object.name.clone();
            if focused {
                label.push_str(" (saved)");
            }
            if let Some(codes) = codes(&object.findings) {
                label.push('\n');
                label.push_str(&codes);
            }
            let fill = if focused { "#fff3cd" } else { "#e8f0fe" };
            let (color, width) = stroke(&object.findings, "#3b5ba5");
            format!(
                "o{i} [label={}, shape=box, style=\"rounded,filled\", fillcolor=\"{fill}\", color=\"{color}\", penwidth={width}];",
                quote(&label)
            )
        }
        NodeRef::Writer(i) => {
            let writer = &graph.writers[i];
            let (shape, fill, border) = match writer.kind {
                WriterKind::ApexTrigger => ("box", "#e6f4ea", "#2e7d32"),
                WriterKind::TriggerHandler => ("component", "#f1f8e9", "#558b2f"),
                WriterKind::AsyncJob => ("hexagon", "#f3e5f5", "#6a1b9a"),
                WriterKind::Flow => ("cds", "#e0f7fa", "#00838f"),
            };
            let mut label = format!("{}\n{}", writer.name, writer.summary());
            if let Some(codes) = codes(&writer.findings) {
                label.push('\n');
                label.push_str(&codes);
            }
            let (color, width) = stroke(&writer.findings, border);
            format!(
                "w{i} [label={}, shape={shape}, fillcolor=\"{fill}\", color=\"{color}\", penwidth={width}];",
                quote(&label)
            )
        }
    }
}

fn stroke(findings: &[FindingRef], normal: &'static str) -> (&'static str, u8) {
    if findings.is_empty() {
        (normal, 1)
    } else {
        ("#c62828", 3)
    }
}

/// `findings: LCK001 LCK009`.
fn codes(findings: &[FindingRef]) -> Option<String> {
    let mut codes: Vec<&str> = findings.iter().map(|f| f.rule).collect();
    codes.sort_unstable();
    codes.dedup();
    (!codes.is_empty()).then(|| format!("findings: {}", codes.join(" ")))
}

/// A quoted DOT string: `\` and `"` escaped, a line break as `\n`, other control characters
/// as spaces, and anything beyond ASCII as an HTML entity.
pub fn quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '&' => out.push_str("&amp;"),
            c if c.is_control() => out.push(' '),
            c if c.is_ascii() => out.push(c),
            c => {
                let _ = write!(out, "&#{};", u32::from(c));
            }
        }
    }
    out.push('"');
    out
}

/// Text for a `//` comment: one line, printable ASCII.
fn comment(text: &str) -> String {
    super::printable_line(text, "")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_cannot_break_out() {
        assert_eq!(quote("Invoice__c"), "\"Invoice__c\"");
        assert_eq!(quote("a\"b\\c"), "\"a\\\"b\\\\c\"");
        assert_eq!(quote("x\ny"), "\"x\\ny\"");
        assert_eq!(quote("\u{b7} & <"), "\"&#183; &amp; <\"");
    }
}
