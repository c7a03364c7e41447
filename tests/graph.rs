//! `lockgen graph`: the model (writers, edges, neighbourhoods), every format's safety and
//! limits, determinism, the README's diagram, and Graphviz where it is installed.
//! scripts/graph-renderers.sh renders every format with its real renderer (CI runs it).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;
use std::process::Command;

use common::{SFDX_PROJECT, lockgen, path_str, project, repo_path};

const EXAMPLE: &str = "examples/acme-billing";
const TDTM: &str = "tests/fixtures/LCK009/fail_tdtm_handler_through_dml_wrapper";

fn graph(args: &[&str]) -> String {
    let mut argv = vec!["graph"];
    argv.extend_from_slice(args);
    let run = lockgen(&argv);
    assert_eq!(run.code, 0, "lockgen {argv:?}: {}", run.stderr);
    run.stdout
}

fn json(args: &[&str]) -> serde_json::Value {
    let mut argv = args.to_vec();
    argv.extend(["--format", "json"]);
    serde_json::from_str(&graph(&argv)).unwrap()
}

fn names(value: &serde_json::Value, key: &str) -> BTreeSet<String> {
    value[key]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["name"].as_str().unwrap().to_string())
        .collect()
}

fn snapshot(name: &str, text: &str) {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("../snapshots");
    settings.set_prepend_module_to_snapshot(false);
    settings.bind(|| insta::assert_snapshot!(format!("graph__{name}"), text));
}

#[test]
fn example_org_in_every_text_format() {
    snapshot("acme_mermaid", &graph(&[EXAMPLE]));
    snapshot("acme_dot", &graph(&[EXAMPLE, "--format", "dot"]));
    snapshot("acme_json", &graph(&[EXAMPLE, "--format", "json"]));
    snapshot(
        "acme_invoice_line_mermaid",
        &graph(&[EXAMPLE, "--object", "Invoice_Line__c"]),
    );
}

#[test]
fn the_example_graph_has_its_writers_edges_and_findings() {
    let g = json(&[EXAMPLE]);
    let writers: BTreeSet<String> = g["writers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| {
            format!(
                "{} {}",
                w["kind"].as_str().unwrap(),
                w["name"].as_str().unwrap()
            )
        })
        .collect();
    // Active triggers and the async jobs that write; not the inactive LegacyInvoiceTrigger.
    for expected in [
        "apex-trigger AccountAudit",
        "apex-trigger AccountTrigger",
        "apex-trigger InvoiceLineTrigger",
        "apex-trigger InvoiceTrigger",
        "async-job InvoiceJob",
        "async-job PaymentBatch",
        "async-job SummaryJob",
    ] {
        assert!(writers.contains(expected), "{expected} in {writers:?}");
    }
    assert!(!writers.iter().any(|w| w.contains("LegacyInvoiceTrigger")));
    let edges: BTreeSet<String> = g["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let detail = match e["kind"].as_str().unwrap() {
                "locks" => format!("{} {}", e["field"], e["reason"]),
                "writes" => e["dml"].to_string(),
                _ => e["events"].to_string(),
            };
            format!("{} {} {} {detail}", e["kind"], e["from"], e["to"]).replace('"', "")
        })
        .collect();
    for expected in [
        "locks object:Invoice_Line__c object:Invoice__c Invoice__c master-detail",
        "locks object:Invoice__c object:Account Account__c restrict-lookup",
        "writes apex-trigger:InvoiceLineTrigger object:Invoice__c [update]",
        "writes async-job:InvoiceJob object:Invoice__c [insert,update]",
        "runs object:Invoice_Line__c apex-trigger:InvoiceLineTrigger [after insert,after update,after delete]",
    ] {
        assert!(edges.contains(expected), "{expected} in {edges:#?}");
    }
    // Findings sit on the objects they are about, with their place.
    let invoice = g["objects"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["name"] == "Invoice__c")
        .unwrap();
    let rules: BTreeSet<&str> = invoice["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    assert_eq!(rules, BTreeSet::from(["LCK007", "LCK009"]));
    for finding in invoice["findings"].as_array().unwrap() {
        assert!(finding["path"].as_str().unwrap().starts_with("force-app/"));
        assert!(finding["line"].as_u64().unwrap() >= 1);
    }
    // Every edge joins nodes that exist; ids are unique.
    let mut ids = BTreeSet::new();
    for node in g["objects"]
        .as_array()
        .unwrap()
        .iter()
        .chain(g["writers"].as_array().unwrap())
    {
        assert!(ids.insert(node["id"].as_str().unwrap().to_string()));
    }
    for edge in g["edges"].as_array().unwrap() {
        assert!(ids.contains(edge["from"].as_str().unwrap()), "{edge}");
        assert!(ids.contains(edge["to"].as_str().unwrap()), "{edge}");
    }
}

#[test]
fn an_objects_neighbourhood_follows_the_cascade_to_the_depth() {
    // Saving an Invoice line runs InvoiceLineTrigger, which updates Invoice__c, which runs
    // InvoiceTrigger (before update) and locks Account; the line locks its Invoice.
    let g = json(&[EXAMPLE, "--object", "invoice_line__c"]);
    assert_eq!(g["focus"]["object"], "Invoice_Line__c");
    assert_eq!(g["focus"]["depth"], 2);
    assert_eq!(
        names(&g, "writers"),
        BTreeSet::from([
            "InvoiceLineTrigger".to_string(),
            "InvoiceTrigger".to_string()
        ])
    );
    assert_eq!(
        names(&g, "objects"),
        BTreeSet::from(["Account", "Invoice_Line__c", "Invoice__c"].map(String::from))
    );
    // One level: InvoiceTrigger is beyond it, and the cut says so.
    let g = json(&[EXAMPLE, "--object", "Invoice_Line__c", "--depth", "1"]);
    assert_eq!(
        names(&g, "writers"),
        BTreeSet::from(["InvoiceLineTrigger".to_string()])
    );
    assert_eq!(g["focus"]["cut"], serde_json::json!(["Invoice__c"]));
    // No level: the object and the parents it locks.
    let g = json(&[EXAMPLE, "--object", "Invoice_Line__c", "--depth", "0"]);
    assert_eq!(
        names(&g, "objects"),
        BTreeSet::from(["Invoice_Line__c", "Invoice__c"].map(String::from))
    );
    assert!(g["writers"].as_array().unwrap().is_empty());
    // Its writers are part of it: Invoice__c is written by a trigger and a job.
    let g = json(&[EXAMPLE, "--object", "Invoice__c"]);
    let writers = names(&g, "writers");
    assert!(writers.contains("InvoiceJob") && writers.contains("InvoiceLineTrigger"));
    assert!(!writers.contains("AccountAudit"), "{writers:?}");
}

#[test]
fn framework_handlers_are_writers_of_their_own() {
    let g = json(&[TDTM]);
    let handler = g["writers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["kind"] == "trigger-handler")
        .expect("the TDTM handler");
    assert_eq!(handler["name"], "OFFR_CourseStats_TDTM");
    assert_eq!(handler["summary"], "TDTM handler on Course_Offering__c");
    assert_eq!(handler["writes"][0]["dml"], "update");
    assert_eq!(handler["writes"][0]["object"], "Course__c");
    assert_eq!(handler["findings"][0]["rule"], "LCK009");
    let dispatch = g["edges"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["to"] == handler["id"])
        .unwrap();
    assert_eq!(dispatch["from"], "apex-trigger:TDTM_CourseOffering");
    assert_eq!(dispatch["via"], "TDTM");
}

#[test]
fn record_triggered_flows_are_writers_of_their_own() {
    let g = json(&["tests/fixtures/LCK009/fail_after_save_flow_updates_parent"]);
    let flow = g["writers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["kind"] == "flow")
        .expect("the after-save flow");
    assert_eq!(flow["name"], "Invoice_Line_After_Save");
    assert_eq!(flow["summary"], "flow on Invoice_Line__c");
    // Its own update, the subflow's and the invocable Apex's: one write of Invoice__c.
    let writes: Vec<(&str, &str)> = flow["writes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| (w["dml"].as_str().unwrap(), w["object"].as_str().unwrap()))
        .collect();
    assert_eq!(writes, [("update", "Invoice__c")]);
    assert_eq!(flow["writes"][0]["sites"], 3);
    let runs = g["edges"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["to"] == flow["id"] && e["kind"] == "runs")
        .expect("a save of the line runs the flow");
    assert_eq!(runs["from"], "object:Invoice_Line__c");
}

#[test]
fn the_same_project_gives_the_same_bytes() {
    for format in ["mermaid", "dot", "json", "html"] {
        let first = graph(&[EXAMPLE, "--format", format]);
        let second = graph(&[EXAMPLE, "--format", format]);
        assert!(first == second, "{format} differs between runs");
    }
}

#[test]
fn unknown_object_is_a_usage_error_with_suggestions() {
    let run = lockgen(&["graph", EXAMPLE, "--object", "Invoice"]);
    assert_eq!(run.code, 2);
    assert!(run.stdout.is_empty());
    assert!(
        run.stderr.contains("`Invoice` is not an object")
            && run.stderr.contains("`Invoice__c`")
            && run.stderr.contains("`Invoice_Line__c`"),
        "{}",
        run.stderr
    );
    let run = lockgen(&["graph", EXAMPLE, "--depth", "99"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
}

#[test]
fn out_writes_the_file_and_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("graph.html");
    let run = lockgen(&[
        "graph",
        EXAMPLE,
        "--format",
        "html",
        "--out",
        &path_str(&target),
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.is_empty());
    assert_eq!(
        fs::read_to_string(&target).unwrap(),
        graph(&[EXAMPLE, "--format", "html"])
    );
    let left: Vec<_> = fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(left.len(), 1, "no temporary file is left behind");
}

#[test]
fn the_html_page_is_self_contained() {
    let page = graph(&[EXAMPLE, "--format", "html"]);
    let lower = page.to_ascii_lowercase();
    // Nothing to fetch: no URL in an attribute, a CSP that forbids any request.
    assert!(lower.contains("default-src 'none'"));
    for needle in [
        "src=\"http",
        "href=\"http",
        "src=\"//",
        "@import",
        "url(http",
    ] {
        assert!(!lower.contains(needle), "{needle}");
    }
    // The library and its license travel with it.
    assert!(page.contains(lockgen::graph::html::CYTOSCAPE));
    assert!(page.contains("Cytoscape.js 3.34.4"));
    assert!(page.contains("Permission is hereby granted"));
    // Three script elements: the data, the library, the page's own.
    assert_eq!(lower.matches("<script").count(), 3);
    assert_eq!(lower.matches("</script").count(), 3);
}

/// A project whose metadata names break out of labels, strings and script elements.
fn hostile_project() -> tempfile::TempDir {
    project(&[
        ("sfdx-project.json", SFDX_PROJECT),
        (
            "force-app/main/default/objects/Child__c/fields/Parent__c.field-meta.xml",
            r#"<?xml version="1.0" encoding="UTF-8"?>
<CustomField xmlns="http://soap.sforce.com/2006/04/metadata">
    <fullName>Parent__c</fullName>
    <type>Lookup</type>
    <referenceTo>Evil"]--&gt;x[["&lt;/script&gt;&lt;!--|`#;{}\n%%{init}%%__c</referenceTo>
    <deleteConstraint>Restrict</deleteConstraint>
</CustomField>
"#,
        ),
        (
            "force-app/main/default/triggers/ChildTrigger.trigger",
            "trigger ChildTrigger on Child__c (after insert) {\n    insert new Child__c();\n}\n",
        ),
    ])
}

#[test]
fn hostile_names_stay_inside_their_labels() {
    let dir = hostile_project();
    let root = path_str(dir.path());
    let g = json(&[&root]);
    assert!(
        names(&g, "objects")
            .iter()
            .any(|n| n.starts_with("Evil\"]")),
        "the name is kept as written in JSON"
    );
    // Mermaid: every label is quoted and holds no quote, bracket, pipe or angle bracket of its
    // own; the only markup is the line break.
    let mermaid = graph(&[&root]);
    for line in mermaid
        .lines()
        .filter(|l| !l.trim_start().starts_with("%%"))
    {
        let inside: Vec<&str> = line.split('"').skip(1).step_by(2).collect();
        assert_eq!(line.matches('"').count() % 2, 0, "{line}");
        for label in inside {
            let plain = label.replace("<br/>", "");
            assert!(
                !plain.contains(['<', '>', '[', ']', '|', '`', '{', '}']),
                "{line}"
            );
        }
    }
    // DOT: the name is one quoted string.
    let dot = graph(&[&root, "--format", "dot"]);
    assert!(
        dot.contains(r#"label="Evil\"]-->x[[\"</script><!--|`#;{}\\n%%{init}%%__c"#),
        "{dot}"
    );
    // HTML: the name never ends the data block.
    let page = graph(&[&root, "--format", "html"]);
    let data_start = page.find("id=\"lockgen-data\">").unwrap();
    let data_end = data_start + page[data_start..].find("</script>").unwrap();
    assert!(page[data_start..data_end].contains("Evil\\\"]--\\u003ex"));
    assert_graphviz_renders(&dot, 3);
}

/// A chain of `count` objects: each has a master-detail to the next and a trigger that
/// updates it; odd and even objects live in two package directories.
fn chain(count: usize) -> tempfile::TempDir {
    let mut files: Vec<(String, String)> = vec![(
        "sfdx-project.json".to_string(),
        r#"{"packageDirectories": [{"path": "force-app", "default": true}, {"path": "extra"}]}"#
            .to_string(),
    )];
    for i in 1..=count {
        let package = if i % 2 == 0 { "extra" } else { "force-app" };
        let next = i + 1;
        files.push((
            format!("{package}/main/default/objects/Obj{i}__c/fields/Next__c.field-meta.xml"),
            format!(
                "<CustomField xmlns=\"http://soap.sforce.com/2006/04/metadata\"><fullName>Next__c</fullName><type>MasterDetail</type><referenceTo>Obj{next}__c</referenceTo></CustomField>\n"
            ),
        ));
        files.push((
            format!("{package}/main/default/triggers/Obj{i}Trigger.trigger"),
            format!(
                "trigger Obj{i}Trigger on Obj{i}__c (after insert, after update) {{\n    update new Obj{next}__c(Id = Trigger.new[0].Next__c);\n}}\n"
            ),
        ));
    }
    let refs: Vec<(&str, &str)> = files
        .iter()
        .map(|(p, c)| (p.as_str(), c.as_str()))
        .collect();
    project(&refs)
}

/// Edges of a Mermaid diagram: lines with an arrow.
fn mermaid_edges(text: &str) -> usize {
    text.lines()
        .filter(|l| l.contains("-->") || l.contains("-.->") || l.contains("==>"))
        .count()
}

#[test]
fn mermaid_stays_within_what_renderers_accept() {
    use lockgen::graph::mermaid::{MAX_EDGES, MAX_TEXT};
    // 200 objects: 600 edges in full, more than Mermaid draws: objects only.
    let dir = chain(200);
    let text = graph(&[&path_str(dir.path())]);
    assert!(text.len() <= MAX_TEXT && mermaid_edges(&text) <= MAX_EDGES);
    assert!(text.contains("objects only"), "{}", &text[..300]);
    // 320: still too many as objects: one box per package directory.
    let dir = chain(320);
    let root = path_str(dir.path());
    let text = graph(&[&root]);
    assert!(text.len() <= MAX_TEXT && mermaid_edges(&text) <= MAX_EDGES);
    assert!(text.contains("one box per package directory"), "{text}");
    assert!(text.contains("force-app") && text.contains("extra"));
    // An object's neighbourhood of it is small enough to draw in full.
    let text = graph(&[&root, "--object", "Obj100__c"]);
    assert!(!text.contains("objects only") && text.contains("Obj100Trigger"));
    let g = json(&[&root]);
    // force-app, extra, and Obj321__c, which has no metadata.
    assert_eq!(g["groups"].as_array().unwrap().len(), 3);
    assert_graphviz_renders(&graph(&[&root, "--format", "dot"]), 641);
}

#[test]
fn graphviz_renders_the_example_without_a_warning() {
    let g = json(&[EXAMPLE]);
    let nodes =
        g["summary"]["objects"].as_u64().unwrap() + g["summary"]["writers"].as_u64().unwrap();
    assert_graphviz_renders(&graph(&[EXAMPLE, "--format", "dot"]), nodes as usize);
    let g = json(&[EXAMPLE, "--object", "Invoice__c"]);
    let nodes =
        g["summary"]["objects"].as_u64().unwrap() + g["summary"]["writers"].as_u64().unwrap();
    assert_graphviz_renders(
        &graph(&[EXAMPLE, "--object", "Invoice__c", "--format", "dot"]),
        nodes as usize,
    );
}

/// `dot -Tsvg`: exit 0, nothing on stderr, `nodes` nodes. Skipped where Graphviz is not
/// installed (scripts/graph-renderers.sh installs it and always runs it).
fn assert_graphviz_renders(dot: &str, nodes: usize) {
    let Ok(mut child) = Command::new("dot")
        .arg("-Tsvg")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
    else {
        eprintln!("graphviz is not installed: dot -Tsvg not run");
        return;
    };
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(dot.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "dot failed: {stderr}");
    assert!(stderr.is_empty(), "dot warned: {stderr}");
    let svg = String::from_utf8_lossy(&output.stdout);
    assert_eq!(svg.matches("<g id=\"node").count(), nodes);
}

#[test]
fn readme_diagram_is_the_current_output() {
    let readme_path = repo_path("README.md");
    let readme = fs::read_to_string(&readme_path).unwrap();
    let start = "<!-- graph:start -->\n";
    let end = "<!-- graph:end -->";
    let from = readme.find(start).expect("README has <!-- graph:start -->") + start.len();
    let to = readme.find(end).expect("README has <!-- graph:end -->");
    // Run from the repository root, as the README shows.
    let diagram = format!("```mermaid\n{}```\n", graph(&[EXAMPLE]));
    if readme[from..to] != diagram {
        if std::env::var_os("UPDATE_README").is_some() {
            let updated = format!("{}{}{}", &readme[..from], diagram, &readme[to..]);
            fs::write(&readme_path, updated).unwrap();
        } else {
            panic!(
                "README's lock graph is stale; run `UPDATE_README=1 cargo test --test graph readme` and commit:\n{diagram}"
            );
        }
    }
    assert!(Path::new(&readme_path).exists());
}
