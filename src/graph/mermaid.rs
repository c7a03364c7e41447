//! `--format mermaid`: a flowchart for GitHub and GitLab Markdown.
//!
//! Kept within what those renderers accept: ids are generated (`o3`, `w7`, `g1`), never taken
//! from the project; every label is quoted and written in plain ASCII, anything else as a
//! Mermaid entity (`#quot;`, `#183;`); only long-standing syntax is used (`flowchart`,
//! `subgraph`, `classDef`, `linkStyle`). Mermaid refuses a diagram over 50,000 characters or
//! 500 edges (`maxTextSize`, `maxEdges`, the defaults GitHub renders with): a graph beyond
//! either is drawn coarser — objects only, then one node per group — and says so.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::io::{self, Write};

use super::model::{EdgeKind, Graph, Group, NodeRef, describe_events, describe_reason};
use super::writers::WriterKind;

/// Mermaid's default `maxTextSize`.
pub const MAX_TEXT: usize = 50_000;
/// Mermaid's default `maxEdges`.
pub const MAX_EDGES: usize = 500;

pub fn render(graph: &Graph, out: &mut dyn Write) -> io::Result<()> {
    out.write_all(diagram(graph).as_bytes())
}

/// The diagram text: the full graph if it fits, else a coarser one that does.
pub fn diagram(graph: &Graph) -> String {
    let full = Diagram::full(graph);
    if full.fits() {
        return full.text;
    }
    let objects = Diagram::objects_only(graph);
    if objects.fits() {
        return objects.text;
    }
    let groups = Diagram::groups_only(graph);
    if groups.fits() {
        return groups.text;
    }
    Diagram::too_large(graph).text
}

struct Diagram {
    text: String,
    edges: usize,
}

impl Diagram {
    fn fits(&self) -> bool {
        self.text.len() <= MAX_TEXT && self.edges <= MAX_EDGES
    }

    fn full(graph: &Graph) -> Diagram {
        let mut text = header(graph, None);
        let groups = graph.groups();
        let grouped = groups.len() > 1;
        for (index, (group, nodes)) in groups.iter().enumerate() {
            if grouped {
                let _ = writeln!(text, "  subgraph g{index}[\"{}\"]", label(&group.label()));
            }
            let indent = if grouped { "    " } else { "  " };
            for node in nodes {
                let _ = writeln!(text, "{indent}{}", node_line(graph, *node));
            }
            if grouped {
                text.push_str("  end\n");
            }
        }
        if graph.node_count() == 0 {
            text.push_str(
                "  empty[\"No trigger, async job or locking relationship found in this project\"]\n",
            );
        }
        let mut lock_links = Vec::new();
        for (index, edge) in graph.edges.iter().enumerate() {
            let from = id(edge.from);
            let to = id(edge.to);
            let _ = match &edge.kind {
                EdgeKind::Writes { dml } => {
                    let kinds: Vec<&str> = dml.iter().map(|k| k.keyword()).collect();
                    writeln!(text, "  {from} -->|\"{}\"| {to}", label(&kinds.join(", ")))
                }
                EdgeKind::Runs { events, via } => {
                    let mut shown = describe_events(*events);
                    if let Some(via) = via {
                        shown = format!("{via}: {shown}");
                    }
                    writeln!(text, "  {from} -.->|\"{}\"| {to}", label(&shown))
                }
                EdgeKind::Locks { field, reason, .. } => {
                    lock_links.push(index);
                    writeln!(
                        text,
                        "  {from} ==>|\"{}\"| {to}",
                        label(&format!("locks via {field} · {}", describe_reason(*reason)))
                    )
                }
            };
        }
        styles(&mut text, graph, &lock_links);
        Diagram {
            text,
            edges: graph.edges.len(),
        }
    }

    /// Objects and their locks; what a save of each runs, as object-to-object edges.
    fn objects_only(graph: &Graph) -> Diagram {
        let note = format!(
            "The whole graph ({} objects, {} writers, {} edges) is more than Mermaid draws: objects only. A dotted arrow: saving one runs automation that writes the other. lockgen graph --object X, or --format html, shows the writers.",
            graph.objects.len(),
            graph.writers.len(),
            graph.edges.len()
        );
        let mut text = header(graph, Some(&note));
        let mut by_group: BTreeMap<&Group, Vec<usize>> = BTreeMap::new();
        for (index, object) in graph.objects.iter().enumerate() {
            by_group.entry(&object.group).or_default().push(index);
        }
        // Writers of each object that start their own transaction.
        let mut jobs: BTreeMap<usize, usize> = BTreeMap::new();
        let mut writers_of: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
        for edge in &graph.edges {
            if let (NodeRef::Writer(w), NodeRef::Object(o), EdgeKind::Writes { .. }) =
                (edge.from, edge.to, &edge.kind)
            {
                writers_of.entry(w).or_default().push(o);
                if graph.writers[w].kind == WriterKind::AsyncJob {
                    *jobs.entry(o).or_default() += 1;
                }
            }
        }
        for (index, (group, objects)) in by_group.iter().enumerate() {
            let _ = writeln!(text, "  subgraph g{index}[\"{}\"]", label(&group.label()));
            for object in objects {
                let node = &graph.objects[*object];
                let mut lines = vec![node.name.clone()];
                if let Some(count) = jobs.get(object) {
                    lines.push(format!("written by {count} async job{}", plural(*count)));
                }
                if let Some(codes) = codes(&node.findings) {
                    lines.push(codes);
                }
                let _ = writeln!(text, "    o{object}[\"{}\"]", label_lines(&lines));
            }
            text.push_str("  end\n");
        }
        // Object → object: a save of `from` runs a writer (directly or through a handler)
        // that writes `to`.
        let mut runs: BTreeMap<usize, Vec<NodeRef>> = BTreeMap::new();
        for edge in &graph.edges {
            if let (NodeRef::Object(o), NodeRef::Writer(_), EdgeKind::Runs { .. }) =
                (edge.from, edge.to, &edge.kind)
            {
                runs.entry(o).or_default().push(edge.to);
            }
        }
        let dispatch: BTreeMap<NodeRef, Vec<NodeRef>> =
            graph.edges.iter().fold(BTreeMap::new(), |mut map, edge| {
                if let (NodeRef::Writer(_), EdgeKind::Runs { .. }) = (edge.from, &edge.kind) {
                    map.entry(edge.from).or_insert_with(Vec::new).push(edge.to);
                }
                map
            });
        let mut cascades: BTreeSet<(usize, usize)> = BTreeSet::new();
        for (object, writers) in &runs {
            let mut stack = writers.clone();
            let mut seen = BTreeSet::new();
            while let Some(writer) = stack.pop() {
                if !seen.insert(writer) {
                    continue;
                }
                if let NodeRef::Writer(w) = writer {
                    for target in writers_of.get(&w).into_iter().flatten() {
                        cascades.insert((*object, *target));
                    }
                }
                stack.extend(dispatch.get(&writer).into_iter().flatten());
            }
        }
        let mut edges = 0;
        for (from, to) in &cascades {
            let _ = writeln!(text, "  o{from} -.-> o{to}");
            edges += 1;
        }
        let mut lock_links = Vec::new();
        for edge in &graph.edges {
            if let EdgeKind::Locks { field, reason, .. } = &edge.kind {
                lock_links.push(edges);
                let _ = writeln!(
                    text,
                    "  {} ==>|\"{}\"| {}",
                    id(edge.from),
                    label(&format!("{field} · {}", describe_reason(*reason))),
                    id(edge.to)
                );
                edges += 1;
            }
        }
        styles(&mut text, graph, &lock_links);
        Diagram { text, edges }
    }

    /// One node per group, with counts; edges between groups, with counts.
    fn groups_only(graph: &Graph) -> Diagram {
        let note = format!(
            "The whole graph ({} objects, {} writers, {} edges) is more than Mermaid draws: one box per package directory or namespace. lockgen graph --object X, or --format html, shows the detail.",
            graph.objects.len(),
            graph.writers.len(),
            graph.edges.len()
        );
        let mut text = header(graph, Some(&note));
        let groups = graph.groups();
        let mut group_of: BTreeMap<NodeRef, usize> = BTreeMap::new();
        for (index, (group, nodes)) in groups.iter().enumerate() {
            let objects = nodes
                .iter()
                .filter(|n| matches!(n, NodeRef::Object(_)))
                .count();
            let writers = nodes.len() - objects;
            for node in nodes {
                group_of.insert(*node, index);
            }
            let _ = writeln!(
                text,
                "  g{index}[\"{}\"]",
                label_lines(&[
                    group.label(),
                    format!(
                        "{objects} object{}, {writers} writer{}",
                        plural(objects),
                        plural(writers)
                    ),
                ])
            );
        }
        let mut links: BTreeMap<(usize, usize, &'static str), usize> = BTreeMap::new();
        for edge in &graph.edges {
            let (Some(from), Some(to)) = (group_of.get(&edge.from), group_of.get(&edge.to)) else {
                continue;
            };
            if from != to {
                *links.entry((*from, *to, edge.kind.name())).or_default() += 1;
            }
        }
        let mut edges = 0;
        for ((from, to, kind), count) in &links {
            let arrow = match *kind {
                "locks" => "==>",
                "runs" => "-.->",
                _ => "-->",
            };
            let _ = writeln!(text, "  g{from} {arrow}|\"{kind} x{count}\"| g{to}");
            edges += 1;
        }
        Diagram { text, edges }
    }

    fn too_large(graph: &Graph) -> Diagram {
        let note = format!(
            "The graph ({} objects, {} writers, {} edges, {} groups) is more than Mermaid draws. Use lockgen graph --object X, or --format html.",
            graph.objects.len(),
            graph.writers.len(),
            graph.edges.len(),
            graph.groups().len()
        );
        Diagram {
            text: header(graph, Some(&note)),
            edges: 0,
        }
    }
}

fn header(graph: &Graph, note: Option<&str>) -> String {
    let mut text = String::from("flowchart LR\n");
    let what = match &graph.focus {
        Some(focus) => format!(
            "what a save of {} runs and locks (depth {})",
            focus.object, focus.depth
        ),
        None => "the lock graph".to_string(),
    };
    let _ = writeln!(
        text,
        "  %% {} of {}, drawn by lockgen {}",
        comment(&what),
        comment(&graph.root),
        env!("CARGO_PKG_VERSION")
    );
    if let Some(note) = note {
        let _ = writeln!(text, "  %% {}", comment(note));
        let _ = writeln!(text, "  note[\"{}\"]", label(note));
        text.push_str("  classDef lgnote fill:#fff8e1,stroke:#b28704,color:#000\n");
        text.push_str("  class note lgnote\n");
    }
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
            let mut lines = vec![object.name.clone()];
            if let Some(codes) = codes(&object.findings) {
                lines.push(codes);
            }
            let focused = graph
                .focus
                .as_ref()
                .is_some_and(|f| f.object == object.name);
            if focused {
                lines[0] = format!("{} (saved)", object.name);
            }
            format!("o{i}[\"{}\"]", label_lines(&lines))
        }
        NodeRef::Writer(i) => {
            let writer = &graph.writers[i];
            let mut lines = vec![writer.name.clone(), writer.summary()];
            if let Some(codes) = codes(&writer.findings) {
                lines.push(codes);
            }
            let text = label_lines(&lines);
            match writer.kind {
                WriterKind::ApexTrigger => format!("w{i}[[\"{text}\"]]"),
                WriterKind::TriggerHandler => format!("w{i}[/\"{text}\"/]"),
                WriterKind::AsyncJob => format!("w{i}{{{{\"{text}\"}}}}"),
                WriterKind::Flow => format!("w{i}>\"{text}\"]"),
            }
        }
    }
}

/// `⚠ LCK001 LCK009`: the distinct codes of some findings.
fn codes(findings: &[super::model::FindingRef]) -> Option<String> {
    let codes: BTreeSet<&str> = findings.iter().map(|f| f.rule).collect();
    (!codes.is_empty()).then(|| {
        format!(
            "\u{26a0} {}",
            codes.into_iter().collect::<Vec<_>>().join(" ")
        )
    })
}

fn styles(text: &mut String, graph: &Graph, lock_links: &[usize]) {
    let mut classes: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for (index, object) in graph.objects.iter().enumerate() {
        classes
            .entry("object")
            .or_default()
            .push(format!("o{index}"));
        if !object.findings.is_empty() {
            classes
                .entry("finding")
                .or_default()
                .push(format!("o{index}"));
        }
        if graph
            .focus
            .as_ref()
            .is_some_and(|f| f.object == object.name)
        {
            classes
                .entry("focus")
                .or_default()
                .push(format!("o{index}"));
        }
    }
    for (index, writer) in graph.writers.iter().enumerate() {
        let class = match writer.kind {
            WriterKind::ApexTrigger => "trigger",
            WriterKind::TriggerHandler => "handler",
            WriterKind::AsyncJob => "job",
            WriterKind::Flow => "flow",
        };
        classes.entry(class).or_default().push(format!("w{index}"));
        if !writer.findings.is_empty() {
            classes
                .entry("finding")
                .or_default()
                .push(format!("w{index}"));
        }
    }
    text.push_str("  classDef object fill:#e8f0fe,stroke:#3b5ba5,color:#000\n");
    text.push_str("  classDef trigger fill:#e6f4ea,stroke:#2e7d32,color:#000\n");
    text.push_str("  classDef handler fill:#f1f8e9,stroke:#558b2f,color:#000\n");
    text.push_str("  classDef job fill:#f3e5f5,stroke:#6a1b9a,color:#000\n");
    text.push_str("  classDef flow fill:#e0f7fa,stroke:#00838f,color:#000\n");
    text.push_str("  classDef finding stroke:#c62828,stroke-width:3px\n");
    text.push_str("  classDef focus fill:#fff3cd,stroke:#b28704,stroke-width:3px,color:#000\n");
    // `finding` and `focus` come last: their strokes win.
    for class in ["object", "trigger", "handler", "job", "finding", "focus"] {
        if let Some(ids) = classes.get(class) {
            for chunk in ids.chunks(50) {
                let _ = writeln!(text, "  class {} {class}", chunk.join(","));
            }
        }
    }
    for chunk in lock_links.chunks(50) {
        let list: Vec<String> = chunk.iter().map(usize::to_string).collect();
        let _ = writeln!(
            text,
            "  linkStyle {} stroke:#c62828,color:#c62828",
            list.join(",")
        );
    }
}

fn plural(count: usize) -> &'static str {
    if count == 1 { "" } else { "s" }
}

/// Lines of a label, joined with Mermaid's line break.
fn label_lines<S: AsRef<str>>(lines: &[S]) -> String {
    lines
        .iter()
        .map(|l| label(l.as_ref()))
        .collect::<Vec<_>>()
        .join("<br/>")
}

/// Text for inside `"…"`: plain ASCII letters, digits and a few marks as they are; anything
/// else as a numeric entity (`#35;`), which Mermaid decodes. No quote, bracket, pipe, angle
/// bracket or backtick survives to end the label or start markup.
pub fn label(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_ascii_alphanumeric() || " _.,:/()-+=*@'?".contains(c) {
            out.push(c);
        } else if c.is_control() {
            out.push(' ');
        } else {
            let _ = write!(out, "#{};", u32::from(c));
        }
    }
    out
}

/// Text for a `%%` comment: one line of printable ASCII, without `%`, `{` or `}` (Mermaid reads
/// `%%{…}%%` as a directive wherever it stands).
fn comment(text: &str) -> String {
    super::printable_line(text, "%{}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_cannot_break_out() {
        assert_eq!(label("Invoice__c"), "Invoice__c");
        assert_eq!(label("a\"b"), "a#34;b");
        assert_eq!(label("x]-->y"), "x#93;--#62;y");
        assert_eq!(label("<script>"), "#60;script#62;");
        assert_eq!(label("a|b`c#d"), "a#124;b#96;c#35;d");
        assert_eq!(label("·"), "#183;");
        assert_eq!(label("line\nbreak"), "line break");
        assert_eq!(label("%%{init}%%"), "#37;#37;#123;init#125;#37;#37;");
    }

    #[test]
    fn comments_hold_no_directive() {
        assert_eq!(comment("a%%{init: x}%%\nb"), "a???init: x????b");
    }
}
